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
import type { SummaryResult } from "../mtapi/account-summary.ts";
import { readRenewing } from "./reread.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { sealKeysOf } from "../accounts/credentials.ts";
import { openSessionRows } from "../secrets/session.ts";

/** MTAPI calls in flight at once, as the monitor's own (the per-call timeout is reread.ts's). */
const CONCURRENCY = 6;

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
  const stored = await db
    .select({ id: accounts.id, sessionId: accounts.sessionId })
    .from(accounts)
    .where(
      and(
        inArray(accounts.id, message.account_ids),
        eq(accounts.status, "active"),
        eq(accounts.monitoringState, "live"),
      ),
    );
  const rows = await openSessionRows(await sealKeysOf(env), stored);
  const readings = await mapWithConcurrency(rows, CONCURRENCY, async (r) => ({
    account_id: r.id,
    // An expired token is reconnected by ConnectByToken (docs/mtapi-bridge.md, "Sessions").
    result: await readRenewing(env.MTAPI_URL, { accountId: r.id, sessionId: r.sessionId }),
  }));
  if (readings.length)
    await env.LIVE_MONITOR.getByName(message.monitor).applyRestReadings(readings);
  log("poll:live_reread", { monitor: message.monitor, accounts: readings.length });
  return { read: readings.length };
}
