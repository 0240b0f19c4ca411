/**
 * The event path's decisions, pure: what one parsed frame item does to the subscription
 * table, which counters it moves, and what the shell must do about an applied reading
 * (persist it with a release now, persist the engine's memory now, or leave the figures to
 * the next batch). The Durable Object carries the answer out (monitor.ts); nothing here
 * touches storage, sockets or Postgres.
 */
import { applyReading, type AppliedReading, type ReadingOutcome } from "../../domain/outcome.ts";
import type { ReadingSource, RiskState } from "../../risk/index.ts";
import { readingTimeVerdict } from "../../risk/reading-time.ts";
import { unsyncedReason } from "../../domain/reading-guard.ts";
import type { FrameItem } from "./parse-frame.ts";
import type { CounterName } from "./status.ts";
import type { Subscription, SubscriptionTable } from "./subscriptions.ts";
import { STALE_MS } from "./watchdog.ts";
import type { ServerClocks } from "./server-time.ts";

/**
 * What the shell does with an applied reading:
 * - `release`: breached or below the exit threshold: queue the change in the outbox and mark
 *   the subscription leaving, then flush (it is dropped when Postgres has the change);
 * - `save_risk`: what later readings depend on moved (`memoryMoved`: high-water mark, day,
 *   breaches, warnings...): persist the engine's state now, and queue the figures;
 * - `batch`: only the figures moved: queue them for the next batch.
 */
export type CommitAction = "release" | "save_risk" | "batch";

/** The outcome of one frame item. */
export interface EventResult {
  /** Counters to add one to. */
  counts: CounterName[];
  /** The routed subscription, when the item named one. */
  subscription?: Subscription;
  /** The applied reading, when it was applied (the subscription's state is already moved). */
  outcome?: AppliedReading;
  /** What the shell does next: nothing, or carry out the commit. */
  action: "none" | CommitAction;
  /** Receive time minus event time (ms), for an applied timestamped event. */
  lagMs?: number;
  /** Keep the item among the invalid samples (a stamp outside the reading window). */
  sample?: boolean;
  /** A per-account problem to mark (`invalid_rules`, `unsynced`). */
  problem?: "invalid_rules" | "unsynced";
}

/**
 * The commit an applied reading needs, given the state before it. An account already leaving
 * is only watched for a breach: its hand-back to polling is on its way.
 */
export function commitAction(
  prev: Subscription["risk"],
  outcome: AppliedReading,
  leaving = false,
): CommitAction | "none" {
  if (leaving) return outcome.breached ? "release" : "none";
  if (outcome.breached || outcome.exitLive) return "release";
  return !prev || memoryMoved(prev, outcome.state) ? "save_risk" : "batch";
}

/**
 * True when a reading that keeps the account live still has something to record once, beside
 * its figures: a warning level newly reached, or the objectives met (each an audit row or an
 * alert, written through the outbox).
 */
export function recordsTransition(outcome: AppliedReading): boolean {
  return outcome.warnings.length > 0 || outcome.objectivesMetAt !== null;
}

/**
 * True when a reading moved what the next reading depends on: anything in the engine's state
 * but the bare figures (`equity`, `balance`, `last_at`, which the next reading replaces and
 * Postgres receives with the next batch). High-water mark, day, day high, adjustments,
 * breaches and warnings are persisted at once; the figures are not (persist-backlog.ts).
 * The engine hands on an unchanged `warned` or `objectives` object as it was: compared by
 * reference.
 */
export function memoryMoved(prev: RiskState, next: RiskState): boolean {
  return (
    prev.hwm !== next.hwm ||
    prev.day_start !== next.day_start ||
    prev.trading_day !== next.trading_day ||
    prev.day_start_ms !== next.day_start_ms ||
    prev.day_end_ms !== next.day_end_ms ||
    prev.monitoring !== next.monitoring ||
    prev.day_high !== next.day_high ||
    prev.adjustment !== next.adjustment ||
    prev.adjustment_id !== next.adjustment_id ||
    prev.day_adjustment !== next.day_adjustment ||
    prev.breached.daily_loss !== next.breached.daily_loss ||
    prev.breached.max_loss !== next.breached.max_loss ||
    prev.warned !== next.warned ||
    prev.objectives !== next.objectives
  );
}

/** Why a released subscription was let go (logged). */
export function releaseReason(outcome: AppliedReading): string {
  return outcome.breached ? "breached" : "usage below exit threshold";
}

/**
 * Applies figures to a live subscription through the risk engine. The engine's clock only
 * moves forward: a reading timed before the last one (clock skew between the Events service
 * and us) is applied at the last reading's time. On success the subscription's state moves.
 * @param at epoch ms of the reading as its source dates it.
 */
export function readSubscription(
  sub: Subscription,
  figures: { equity: number; balance?: number | undefined },
  at: number,
  source: ReadingSource,
): ReadingOutcome {
  const outcome = applyReading(sub.accountId, sub.rules, sub.risk, "live", {
    equity: figures.equity,
    balance: figures.balance,
    at: Math.max(at, sub.risk?.last_at ?? 0),
    source,
  });
  if (outcome.applied) sub.risk = outcome.state;
  return outcome;
}

/** How soon an account whose figures came unsynced is re-read over REST (ms). */
export const UNSYNCED_REREAD_MS = 5_000;

/**
 * Has the watchdog re-read the account over REST within UNSYNCED_REREAD_MS: its clocks are set
 * back so it counts as quiet by then (core/watchdog.ts). Unsynced figures are not a hearing.
 */
export function markUnsynced(sub: Subscription, now: number): void {
  const heardBy = now - STALE_MS + UNSYNCED_REREAD_MS;
  sub.lastEventAt = Math.min(sub.lastEventAt, heardBy);
  sub.lastRestAt = Math.min(sub.lastRestAt, heardBy);
}

const NOTHING: EventResult = { counts: [], action: "none" };

/**
 * One frame item: route it (docs/wire-contract.md "Routing"), drop it when stale (older than
 * the newest event applied to its account), apply it, and decide the commit.
 * @param now epoch ms on the receive clock.
 * @param clocks the servers' learnt time offsets (server-time.ts); absent: stamps as they are.
 */
export function applyEvent(
  table: SubscriptionTable,
  item: FrameItem,
  now: number,
  clocks?: ServerClocks,
): EventResult {
  switch (item.kind) {
    case "ack":
      return { ...NOTHING, counts: ["acks"] };
    case "service_error":
      return { ...NOTHING, counts: ["service_errors"] };
    case "invalid":
      return { ...NOTHING, counts: ["received", "invalid"] };
    case "no_equity":
      return { ...NOTHING, counts: ["received", "no_equity"] };
    case "event":
      break;
  }
  const route = table.route(item.keys);
  if (route.kind !== "found") return { ...NOTHING, counts: ["received", route.kind] };
  const sub = route.sub;
  // docs/mtapi-bridge.md, "Server-time stamps": a steady whole-quarter-hour offset of the
  // server's stamps is learnt and taken off; the corrected time dates the reading (its day).
  let serverTime = false;
  if (item.ts !== undefined && clocks) {
    const verdict = clocks.judge(sub.server, item.ts, now);
    if (verdict.kind === "corrected") {
      item = { ...item, ts: verdict.ts };
      serverTime = true;
    } else if (verdict.kind === "learning")
      return { ...NOTHING, counts: ["received", "invalid"], subscription: sub, sample: true };
  }
  // docs/rules.md "Reading times": a stamp far ahead or far behind our clock is not a reading.
  if (item.ts !== undefined && readingTimeVerdict(item.ts, now) !== "ok")
    return { ...NOTHING, counts: ["received", "invalid"], subscription: sub, sample: true };
  if (item.ts !== undefined && item.ts < sub.lastEventTs)
    return { ...NOTHING, counts: ["received", "stale"], subscription: sub };
  // docs/mtapi-bridge.md "Unsynced answers": figures that are not yet the account's move nothing.
  if (unsyncedReason(item, sub.risk?.balance) !== null) {
    markUnsynced(sub, now);
    return { ...NOTHING, counts: ["received", "unsynced"], subscription: sub, problem: "unsynced" };
  }
  const prev = sub.risk;
  let outcome: ReadingOutcome;
  try {
    outcome = readSubscription(sub, item, item.ts ?? now, "event");
  } catch {
    // The account's rules cannot be evaluated (e.g. a time zone the runtime rejects).
    return {
      ...NOTHING,
      counts: ["received", "invalid"],
      subscription: sub,
      problem: "invalid_rules",
    };
  }
  if (!outcome.applied) {
    const counter = outcome.reason === "invalid" ? "invalid" : "stale";
    return { ...NOTHING, counts: ["received", counter], subscription: sub };
  }
  // Heard of only when a reading applies: an unusable event must not keep the watchdog away.
  sub.lastEventAt = now;
  const result: EventResult = {
    counts: serverTime ? ["received", "applied", "server_time"] : ["received", "applied"],
    subscription: sub,
    outcome,
    action: commitAction(prev, outcome, sub.leaving),
  };
  if (item.ts !== undefined) {
    sub.lastEventTs = item.ts;
    result.lagMs = now - item.ts;
  }
  return result;
}
