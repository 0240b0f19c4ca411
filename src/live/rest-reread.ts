/**
 * The poll consumer's side of the watchdog's overflow (src/live/reread-handoff.ts): reads the
 * named live accounts' summaries over MTAPI, a few at a time, and hands the answers to the
 * monitor that asked (`applyRestReadings`), which judges them as its own re-reads. Accounts
 * no longer live and active are skipped (their owner has changed).
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema.ts";
import type { LiveRereadMessage } from "./reread-handoff.ts";
import { log } from "../util/log.ts";
import { fetchAccountSummary, type SummaryResult } from "../mtapi/account-summary.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";

/** MTAPI calls in flight at once, and the per-call timeout (ms), as the monitor's own. */
const CONCURRENCY = 6;
const TIMEOUT_MS = 10_000;

/** One answer handed back to the monitor. */
export interface RestReading {
  account_id: number;
  result: SummaryResult;
}

/** Reads the accounts of one message and hands the answers to its monitor. */
export async function rereadForMonitor(
  db: Db,
  env: Env,
  message: LiveRereadMessage,
): Promise<{ read: number }> {
  const rows = await db
    .select({ id: accounts.id, sessionId: accounts.sessionId })
    .from(accounts)
    .where(
      and(
        inArray(accounts.id, message.account_ids),
        eq(accounts.status, "active"),
        eq(accounts.monitoringState, "live"),
      ),
    );
  const readings = await mapWithConcurrency(rows, CONCURRENCY, async (r) => ({
    account_id: r.id,
    result: await fetchAccountSummary(env.MTAPI_URL, r.sessionId, TIMEOUT_MS),
  }));
  if (readings.length)
    await env.LIVE_MONITOR.getByName(message.monitor).applyRestReadings(readings);
  log("poll:live_reread", { monitor: message.monitor, accounts: readings.length });
  return { read: readings.length };
}
