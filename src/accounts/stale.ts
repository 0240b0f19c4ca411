/**
 * The `stale` problem, the SQL side (docs/api.md, "Problems"; the judgement is
 * src/domain/staleness.ts): each minute the cron, after the sweep, marks the active accounts
 * that went without a reading past their window and have no problem yet, with one
 * `account.problem` alert each in the same transaction. The mark is a compare-and-set on the
 * last reading and on the problem still being null, so a reading or another problem that lands
 * meanwhile wins. A reading clears it (write-changes.ts), alerted once as well.
 */
import { sql } from "drizzle-orm";
import { recordAlerts, sendAlerts } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import { accounts, type AccountProblem } from "../db/schema.ts";
import { problemAlerts, type ChangedAccount } from "../domain/account-alerts.ts";
import { LIVE_STALE_S, isNewlyStale } from "../domain/staleness.ts";
import type { MonitoringState } from "../risk/index.ts";

/** Most accounts marked per pass (the rest the next minute). */
export const STALE_BATCH = 1000;

/** When an account was last read, in SQL (epoch ms): its last reading, or its creation. */
const lastReadSql = sql<number>`coalesce((${accounts.riskState}->>'last_at')::float8, extract(epoch from ${accounts.createdAt}) * 1000)`;

/** Marks the accounts newly stale at `now` (epoch ms); returns their ids. */
export async function markStaleAccounts(db: Db, now: number): Promise<number[]> {
  // Candidates: past the shortest window with no problem; the judgement picks from them.
  const rows = await db
    .select({
      id: accounts.id,
      monitoringState: accounts.monitoringState,
      lastReadAt: lastReadSql,
      problem: accounts.problem,
    })
    .from(accounts)
    .where(
      sql`${accounts.status} = 'active' and ${accounts.problem} is null and ${lastReadSql} < ${now - LIVE_STALE_S * 1000}`,
    )
    .orderBy(accounts.id)
    .limit(STALE_BATCH);
  const stale = rows
    .map((r) => ({
      id: r.id,
      lastReadAt: Number(r.lastReadAt),
      monitoringState: r.monitoringState as MonitoringState,
      problem: r.problem as AccountProblem | null,
    }))
    .filter((r) => isNewlyStale(r, now));
  if (stale.length === 0) return [];
  const input = stale.map((r) => ({ id: r.id, last_read: r.lastReadAt, state: r.monitoringState }));
  const alerted = await db.transaction(async (tx) => {
    const changed = await tx.execute<ChangedAccount>(sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
          as v(id int, last_read float8, state text)
      )
      update accounts a set problem = 'stale', problem_since = now(), updated_at = now()
      from input i
      where a.id = i.id and a.status = 'active' and a.problem is null
        and a.monitoring_state = i.state
        and coalesce((a.risk_state->>'last_at')::float8, extract(epoch from a.created_at) * 1000) = i.last_read
      returning a.id, a.login, a.server, a.label, null::text as prev_problem`);
    return {
      ids: changed.rows.map((r) => r.id),
      recorded: await recordAlerts(
        tx,
        changed.rows.flatMap((r) => problemAlerts(r, "stale")),
      ),
    };
  });
  await sendAlerts(alerted.recorded);
  return alerted.ids;
}
