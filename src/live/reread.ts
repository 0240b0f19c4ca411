/**
 * The watchdog's REST re-reads (a quiet link is not a dead one, and no live account may go
 * unwatched): each quiet account's summary read over MTAPI, a few at a time, each answer
 * handed to the monitor as it comes.
 */
import { log } from "../util/log.ts";
import { fetchAccountSummary, type SummaryResult } from "../mtapi/account-summary.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import type { Subscription } from "./core/subscriptions.ts";

/** MTAPI calls in flight at once (Workers allow 6 open connections per invocation). */
const CONCURRENCY = 6;
/** Per-call MTAPI timeout (ms). */
const TIMEOUT_MS = 10_000;

/**
 * Reads each account's summary, stamps `lastRestAt` on the monitor's clock `now`, and hands
 * the answer to `onRead`.
 */
export async function rereadOverRest(
  mtapiUrl: string,
  quiet: readonly Subscription[],
  now: () => number,
  onRead: (sub: Subscription, result: SummaryResult) => void,
): Promise<void> {
  if (quiet.length === 0) return;
  await mapWithConcurrency(quiet, CONCURRENCY, async (sub) => {
    const result = await fetchAccountSummary(mtapiUrl, sub.sessionId, TIMEOUT_MS);
    sub.lastRestAt = now();
    onRead(sub, result);
  });
  log("monitor:reread", { accounts: quiet.length });
}
