/**
 * The `stale` problem, judged (pure; docs/api.md, "Problems"; docs/alerts.md): an active
 * account with no reading for longer than its window gets `stale`, once, and a reading that
 * lands clears it (src/accounts/write-changes.ts). The windows are those of the monitor's
 * health (`accounts_stale`, docs/api.md "Monitor health and dead letters"), so an account the
 * health counts as stale shows the problem too.
 */
import type { MonitoringState } from "../risk/index.ts";
import type { AccountProblem } from "./vocabulary.ts";

/** A live account without a reading for this long is stale (s). */
export const LIVE_STALE_S = 90;
/**
 * A polled account without a reading for this long is stale (s): tighter than the contract's
 * 180 s, under the promise that no account goes unwatched past 120 s (docs/never-blind.md).
 */
export const POLLING_STALE_S = 110;

/** The staleness window of an account in `state` (ms). */
export function staleWindowMs(state: MonitoringState): number {
  return (state === "live" ? LIVE_STALE_S : POLLING_STALE_S) * 1000;
}

/** What the judgement looks at: an active account as Postgres has it. */
export interface StaleCandidate {
  monitoringState: MonitoringState;
  /** Its last reading (epoch ms), or its creation when it was never read. */
  lastReadAt: number;
  /** Its problem now, or null. */
  problem: AccountProblem | null;
}

/**
 * Whether the account is to be marked `stale` at `now` (epoch ms): past its window and with
 * no problem yet. An account that already has a problem keeps it: `token_invalid`,
 * `mtapi_unreachable` and the rest say why it goes unread, which `stale` would hide, and a
 * `stale` one was alerted already (once on appearing). A reading, not this judgement, clears it.
 */
export function isNewlyStale(c: StaleCandidate, now: number): boolean {
  if (c.problem !== null) return false;
  return now - c.lastReadAt > staleWindowMs(c.monitoringState);
}
