/**
 * The watchdog's REST re-reads (a quiet link is not a dead one, and no live account may go
 * unwatched): each quiet account's summary read over MTAPI, a few at a time, each answer
 * handed to the monitor as it comes. A token that answers `INVALID_TOKEN` is reconnected at
 * once (`ConnectByToken`, docs/mtapi-bridge.md "Sessions") and the account read again under
 * the token it gives; one that cannot be reconnected by token is `session_expired`, which the
 * cron's renewal with stored credentials picks up (src/cron/scheduled.ts).
 */
import { log } from "../util/log.ts";
import { fetchAccountSummary, type SummaryResult } from "../mtapi/account-summary.ts";
import { connectByToken } from "../mtapi/session.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import type { Subscription } from "./core/subscriptions.ts";

/** MTAPI calls in flight at once (Workers allow 6 open connections per invocation). */
const CONCURRENCY = 6;
/** Per-call MTAPI timeout (ms). */
const TIMEOUT_MS = 10_000;

/**
 * Reads one account's summary; an invalid token is reconnected by `ConnectByToken` and the
 * account read again. `onRenewed` hears of a token that changed (before the re-read).
 */
export async function readRenewing<S extends Pick<Subscription, "accountId" | "sessionId">>(
  mtapiUrl: string,
  sub: S,
  onRenewed?: (sub: S, token: string) => void,
  fetcher: typeof fetch = fetch,
): Promise<SummaryResult> {
  const result = await fetchAccountSummary(mtapiUrl, sub.sessionId, TIMEOUT_MS, fetcher);
  if (result.ok || result.problem !== "token_invalid") return result;
  const renewed = await connectByToken(mtapiUrl, sub.sessionId, TIMEOUT_MS, fetcher);
  if (!renewed.ok) {
    log("monitor:renew_failed", { account_id: sub.accountId, problem: renewed.problem });
    // Refused by token: expired beyond the monitor's reach; transient trouble stays as it is.
    return renewed.problem === "token_invalid"
      ? { ok: false, problem: "session_expired", detail: `ConnectByToken: ${renewed.detail}` }
      : { ok: false, problem: renewed.problem, detail: renewed.detail };
  }
  log("monitor:session_renewed", {
    account_id: sub.accountId,
    changed: renewed.token !== sub.sessionId,
  });
  if (renewed.token !== sub.sessionId) onRenewed?.(sub, renewed.token);
  return fetchAccountSummary(mtapiUrl, renewed.token, TIMEOUT_MS, fetcher);
}

/**
 * Reads each account's summary (renewing an invalid token), stamps `lastRestAt` on the
 * monitor's clock `now`, and hands the answer to `onRead`.
 */
export async function rereadOverRest(
  mtapiUrl: string,
  quiet: readonly Subscription[],
  now: () => number,
  onRead: (sub: Subscription, result: SummaryResult) => void,
  onRenewed?: (sub: Subscription, token: string) => void,
): Promise<void> {
  if (quiet.length === 0) return;
  await mapWithConcurrency(quiet, CONCURRENCY, async (sub) => {
    const result = await readRenewing(mtapiUrl, sub, onRenewed);
    sub.lastRestAt = now();
    onRead(sub, result);
  });
  log("monitor:reread", { accounts: quiet.length });
}
