/**
 * The event path's decisions, pure: what one parsed frame item does to the subscription
 * table, which counters it moves, and what the shell must do about an applied reading
 * (persist it with a release now, persist the engine's memory now, or leave the figures to
 * the next batch). The Durable Object carries the answer out (monitor.ts); nothing here
 * touches storage, sockets or Postgres.
 */
import {
  appliedReadingOf,
  decideInPlace,
  newDecision,
  type AppliedReading,
} from "../../domain/outcome.ts";
import { compileRules, newStep, openState, type ReadingSource } from "../../risk/index.ts";
import { readingTimeVerdict } from "../../risk/reading-time.ts";
import { unsyncedReason } from "../../domain/reading-guard.ts";
import type { FrameItem } from "./parse-frame.ts";
import type { CounterName } from "./status.ts";
import type { Subscription, SubscriptionTable } from "./subscriptions.ts";
import { STALE_MS } from "./watchdog.ts";
import { LEARNING, type ServerClocks } from "./server-time.ts";

/**
 * What the shell does with an applied reading:
 * - `release`: breached or below the exit threshold: queue the change in the outbox and mark
 *   the subscription leaving, then flush (it is dropped when Postgres has the change);
 * - `record`: it stays live but reached a warning level or met the objectives: queue the
 *   change (audit row, alerts) with the engine's state, once;
 * - `save_risk`: what later readings depend on moved (the engine's `memory_moved`:
 *   high-water mark, day, breaches, warnings...): persist the engine's state now, and queue
 *   the figures;
 * - `batch`: only the figures moved: queue them for the next batch.
 */
export type CommitAction = "release" | "record" | "save_risk" | "batch";

/** The outcome of one frame item. */
export interface EventResult {
  /** Counters to add one to. */
  counts: readonly CounterName[];
  /** The routed subscription, when the item named one. */
  subscription?: Subscription;
  /**
   * The applied reading, for the rows a `release` or `record` writes (its `state` is the
   * subscription's, already moved). A reading that only batches or saves carries none: the
   * subscription's state is all the shell needs then.
   */
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
 * The commit an applied reading needs. An account already leaving is only watched for a
 * breach: its hand-back to polling is on its way.
 * @param recordsOnce the reading reached a warning level or met the objectives.
 * @param memoryMoved what the next reading depends on moved (or the account had no state).
 */
export function commitAction(
  d: { breached: boolean; exitLive: boolean },
  recordsOnce: boolean,
  memoryMoved: boolean,
  leaving = false,
): CommitAction | "none" {
  if (leaving) return d.breached ? "release" : "none";
  if (d.breached || d.exitLive) return "release";
  if (recordsOnce) return "record";
  return memoryMoved ? "save_risk" : "batch";
}

// The engine's step and the decision of the reading being applied: one of each for the event
// path, rewritten by every reading (`judge`) and read back before it returns.
const step = newStep();
const decision = newDecision();

/**
 * Applies figures in place to a live subscription's state through the risk engine (opening
 * it when the account has none). The engine's clock only moves forward: a reading timed
 * before the last one (clock skew between the Events service and us) is applied at the last
 * reading's time. Returns the commit, or null when the engine refused the reading (then
 * `step.reason` says why and nothing moved). Throws when the rules cannot be evaluated (a time
 * zone the runtime rejects); nothing moved then either.
 */
function judge(
  sub: Subscription,
  equity: number,
  balance: number | undefined,
  at: number,
  source: ReadingSource,
): CommitAction | "none" | null {
  const c = compileRules(sub.rules);
  let state = sub.risk;
  const opened = state === null;
  if (state === null) {
    if (!Number.isFinite(equity) || !Number.isFinite(at)) {
      step.reason = "invalid";
      return null;
    }
    state = openState(c, equity, balance, at, "live");
  }
  if (!decideInPlace(c, state, "live", equity, balance, at, source, undefined, step, decision))
    return null;
  if (opened) sub.risk = state;
  return commitAction(
    decision,
    // A soft loss violation (no breach) is recorded at once too.
    step.warnings.length > 0 || step.objectives_met_at !== null || step.violations.length > 0,
    opened || decision.memoryMoved,
    sub.leaving,
  );
}

/** The rows' view of the reading `judge` just applied. */
function outcomeOf(
  sub: Subscription,
  equity: number,
  balance: number | undefined,
  at: number,
  source: ReadingSource,
): AppliedReading {
  return appliedReadingOf(
    sub.accountId,
    sub.risk!,
    { equity, balance, at, source },
    step,
    decision,
  );
}

/** A reading applied to a held subscription outside the event path (a REST re-read). */
export type HeldReading =
  | { applied: false; reason: "stale" | "invalid" }
  | { applied: true; action: CommitAction | "none"; outcome: AppliedReading };

/**
 * Applies figures read outside the event path (a REST re-read) to a live subscription; see
 * `judge` above. The outcome is always built (this path is not per event).
 * @param at epoch ms of the reading as its source dates it.
 */
export function readSubscription(
  sub: Subscription,
  figures: { equity: number; balance?: number | undefined },
  at: number,
  source: ReadingSource,
): HeldReading {
  const when = Math.max(at, sub.risk?.last_at ?? 0);
  const action = judge(sub, figures.equity, figures.balance, when, source);
  if (action === null) return { applied: false, reason: step.reason ?? "invalid" };
  return {
    applied: true,
    action,
    outcome: outcomeOf(sub, figures.equity, figures.balance, when, source),
  };
}

const ACKS: readonly CounterName[] = Object.freeze(["acks"]);
const SERVICE_ERRORS: readonly CounterName[] = Object.freeze(["service_errors"]);
const INVALID: readonly CounterName[] = Object.freeze(["received", "invalid"]);
const NO_EQUITY: readonly CounterName[] = Object.freeze(["received", "no_equity"]);
const STALE: readonly CounterName[] = Object.freeze(["received", "stale"]);
const APPLIED: readonly CounterName[] = Object.freeze(["received", "applied"]);
const UNROUTABLE: readonly CounterName[] = Object.freeze(["received", "unroutable"]);
const UNSUBSCRIBED: readonly CounterName[] = Object.freeze(["received", "unsubscribed"]);
const UNSYNCED: readonly CounterName[] = Object.freeze(["received", "unsynced"]);
const APPLIED_SERVER_TIME: readonly CounterName[] = Object.freeze([
  "received",
  "applied",
  "server_time",
]);
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

/**
 * One frame item: route it (docs/wire-contract.md "Routing"), drop it when stale (older than
 * the newest event applied to its account), apply it in place, and decide the commit. A
 * reading that only moves the figures allocates nothing but the returned record.
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
      return { counts: ACKS, action: "none" };
    case "service_error":
      return { counts: SERVICE_ERRORS, action: "none" };
    case "invalid":
      return { counts: INVALID, action: "none" };
    case "no_equity":
      return { counts: NO_EQUITY, action: "none" };
    case "event":
      break;
  }
  const sub = table.find(item.keys);
  if (typeof sub === "string")
    return { counts: sub === "unroutable" ? UNROUTABLE : UNSUBSCRIBED, action: "none" };
  let ts = item.ts;
  // docs/mtapi-bridge.md, "Server-time stamps": a steady whole-quarter-hour offset of the
  // server's stamps is learnt and taken off; the corrected time dates the reading (its day).
  let serverTime = false;
  if (ts !== undefined && clocks) {
    const offset = clocks.correction(sub.server, ts, now);
    if (offset > 0) {
      ts -= offset;
      serverTime = true;
    } else if (offset === LEARNING)
      return { counts: INVALID, action: "none", subscription: sub, sample: true };
  }
  // docs/rules.md "Reading times": a stamp far ahead or far behind our clock is not a reading.
  if (ts !== undefined && readingTimeVerdict(ts, now) !== "ok")
    return { counts: INVALID, action: "none", subscription: sub, sample: true };
  if (ts !== undefined && ts < sub.lastEventTs)
    return { counts: STALE, action: "none", subscription: sub };
  // docs/mtapi-bridge.md "Unsynced answers": figures that are not yet the account's move nothing.
  // Cheap checks first: the guard can only refuse `synced: false` or an equity of exactly 0.
  if (
    (item.synced === false || item.equity === 0) &&
    unsyncedReason(item, sub.risk?.balance) !== null
  ) {
    markUnsynced(sub, now);
    return { counts: UNSYNCED, action: "none", subscription: sub, problem: "unsynced" };
  }
  const equity = item.equity;
  const balance = item.balance;
  const last = sub.risk === null ? 0 : sub.risk.last_at;
  const at = ts === undefined ? now : ts;
  const when = at > last ? at : last;
  let action: CommitAction | "none" | null;
  try {
    action = judge(sub, equity, balance, when, "event");
  } catch {
    // The account's rules cannot be evaluated (e.g. a time zone the runtime rejects).
    return { counts: INVALID, action: "none", subscription: sub, problem: "invalid_rules" };
  }
  if (action === null)
    return { counts: step.reason === "stale" ? STALE : INVALID, action: "none", subscription: sub };
  // Heard of only when a reading applies: an unusable event must not keep the watchdog away.
  sub.lastEventAt = now;
  const result: EventResult = {
    counts: serverTime ? APPLIED_SERVER_TIME : APPLIED,
    subscription: sub,
    action,
    // The rows are built only for a commit that writes them (rare): nothing on the common path.
    outcome:
      action === "release" || action === "record"
        ? outcomeOf(sub, equity, balance, when, "event")
        : undefined,
    lagMs: undefined,
  };
  if (ts !== undefined) {
    sub.lastEventTs = ts;
    result.lagMs = now - ts;
  }
  return result;
}

/** Why a released subscription was let go (logged). */
export function releaseReason(outcome: AppliedReading): string {
  return outcome.breached ? "breached" : "usage below exit threshold";
}
