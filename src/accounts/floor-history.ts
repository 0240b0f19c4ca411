/**
 * What the equity chart's floor replay needs from before its window (floors-over-time.ts):
 * the older readings that carry the account's high-water marks, and its adjustments with
 * their times. One query each.
 */
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountAdjustments } from "../db/schema.ts";
import type { RuleParams } from "../risk/index.ts";
import type { FloorHistory } from "../domain/floors-over-time.ts";
import type { EquityPoint } from "./queries.ts";

/**
 * The readings of account `accountId` before `before` that keep its high-water marks: per
 * trading day of `rules` (local days from the reset hour and minute in the reset zone) the
 * reading with the highest equity (`trailing`, `static`), the one with the highest balance
 * (`balance_trailing`) and the last one (the end-of-day balance of `eod_trailing`), oldest
 * first. Replaying them gives the marks the account had when the window starts, up to what
 * retention thinned away.
 */
export async function listMarkReadings(
  db: Db,
  accountId: number,
  rules: RuleParams,
  before: Date,
): Promise<EquityPoint[]> {
  const { timezone, hour, minute } = rules.daily_reset;
  const { rows } = await db.execute<{ at: string; balance: number; equity: number; usage: number }>(
    sql`select r.at, r.balance, r.equity, r.usage
        from readings r
        join (
          select (array_agg(id order by equity desc, at))[1] as by_equity,
                 (array_agg(id order by balance desc, at))[1] as by_balance,
                 (array_agg(id order by at desc, id desc))[1] as by_time
          from readings
          where account_id = ${accountId} and at < ${before.toISOString()}::timestamptz
          group by date_trunc('day',
            (at at time zone ${timezone}) - make_interval(hours => ${hour}, mins => ${minute ?? 0}))
        ) d on r.id in (d.by_equity, d.by_balance, d.by_time)
        order by r.at, r.id`,
  );
  return rows.map((r) => ({
    at: new Date(r.at),
    balance: Number(r.balance),
    equity: Number(r.equity),
    usage: Number(r.usage),
  }));
}

/** The floor replay's history of account `accountId` before `before`. */
export async function listFloorHistory(
  db: Db,
  accountId: number,
  rules: RuleParams,
  before: Date,
): Promise<FloorHistory> {
  const [marks, adjustments] = await Promise.all([
    listMarkReadings(db, accountId, rules, before),
    db
      .select({
        id: accountAdjustments.id,
        amount: accountAdjustments.amount,
        at: accountAdjustments.createdAt,
      })
      .from(accountAdjustments)
      .where(eq(accountAdjustments.accountId, accountId)),
  ]);
  return {
    before: marks,
    adjustments: adjustments.map((a) => ({ id: Number(a.id), amount: a.amount, at: a.at })),
  };
}
