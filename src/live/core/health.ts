/**
 * The monitor's health (docs/api.md, "Monitor health and dead letters"), pure: how long accounts have
 * gone unwatched, and whether the monitor is degraded, and why.
 */
import type { Subscription } from "./subscriptions.ts";

/**
 * A live account without a reading for this long is stale (s); a polled one after
 * POLLING_STALE_S, under the promise that no account goes unwatched past 120 s: the sweep reads
 * every polled account each minute and, cut short by an outage, again as soon as the database
 * answers, so a polled account passes 110 s only when that failed (an outage longer than the
 * sweep's retry window), and the monitor says so before the promise is broken
 * (docs/never-blind.md). The same windows judge the account's own `stale` problem.
 */
import { LIVE_STALE_S, POLLING_STALE_S } from "../../domain/staleness.ts";
export { LIVE_STALE_S, POLLING_STALE_S };
/** A link not open for this long while it holds subscriptions is down (s). */
export const LINK_DOWN_S = 60;
/** A pending write older than this means writes are stalled (s). */
export const WRITES_STALLED_S = 60;

export type HealthReason = "link_down" | "writes_stalled" | "dead_letters" | "accounts_stale";

/** How well the accounts are watched now. */
export interface Coverage {
  /** The longest any account has now gone without a reading (event or REST read), s. */
  max_unwatched_s: number;
  /** Accounts past their window (live: LIVE_STALE_S, polling: POLLING_STALE_S). */
  accounts_stale: number;
}

/** What the health is judged from. */
export interface HealthInput {
  /** How long the link has not been open while holding subscriptions (s); 0 when open. */
  linkDownS: number;
  /** Age of the oldest pending write (s); 0 when none. */
  oldestPendingS: number;
  deadLetters: number;
  accountsStale: number;
}

/** Seconds since `at` (epoch ms), at `now`, never negative, to a tenth. */
export function secondsSince(at: number, now: number): number {
  return Math.max(0, Math.round((now - at) / 100) / 10);
}

/** The coverage of the live accounts: last heard of by event, REST read or reading time. */
export function liveCoverage(subs: Iterable<Subscription>, now: number): Coverage {
  let max = 0;
  let stale = 0;
  for (const s of subs) {
    const heard = Math.max(s.lastEventAt, s.lastRestAt, s.risk?.last_at ?? 0, s.subscribedAt);
    const unwatched = secondsSince(heard, now);
    if (unwatched > max) max = unwatched;
    if (unwatched > LIVE_STALE_S) stale++;
  }
  return { max_unwatched_s: max, accounts_stale: stale };
}

/** Two coverages as one (live and polled accounts). */
export function mergeCoverage(a: Coverage, b: Coverage): Coverage {
  return {
    max_unwatched_s: Math.max(a.max_unwatched_s, b.max_unwatched_s),
    accounts_stale: a.accounts_stale + b.accounts_stale,
  };
}

/** `degraded` with its reasons, or `ok`. */
export function healthOf(h: HealthInput): { health: "ok" | "degraded"; reasons: HealthReason[] } {
  const reasons: HealthReason[] = [];
  if (h.linkDownS >= LINK_DOWN_S) reasons.push("link_down");
  if (h.oldestPendingS > WRITES_STALLED_S) reasons.push("writes_stalled");
  if (h.deadLetters > 0) reasons.push("dead_letters");
  if (h.accountsStale > 0) reasons.push("accounts_stale");
  return { health: reasons.length ? "degraded" : "ok", reasons };
}
