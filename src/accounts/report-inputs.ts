/**
 * What the breach report (src/domain/breach-report.ts) needs from Postgres beside the
 * violation and its evidence: the account's balance adjustments up to the breach (all, and
 * those of the breach's trading day), the readings from 30 minutes before it, and, for a daily
 * floor that trails the intraday high, the day's highest equity before the breach.
 */
import { and, asc, eq, gte, lt, lte, max } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountAdjustments, readings, type ViolationRow } from "../db/schema.ts";
import {
  REPORT_WINDOW_MS,
  type ReportInput,
  type ReportViolation,
} from "../domain/breach-report.ts";
import type { RuleName } from "../risk/index.ts";
import { tradingDayAt } from "../risk/index.ts";

/** The report's input for violation `row`. */
export async function reportInputs(db: Db, row: ViolationRow): Promise<ReportInput> {
  const at = row.detectedAt;
  const from = new Date(at.getTime() - REPORT_WINDOW_MS);
  const [adjustments, window] = await Promise.all([
    db
      .select({ amount: accountAdjustments.amount, at: accountAdjustments.createdAt })
      .from(accountAdjustments)
      .where(
        and(eq(accountAdjustments.accountId, row.accountId), lte(accountAdjustments.createdAt, at)),
      ),
    db
      .select({
        at: readings.at,
        balance: readings.balance,
        equity: readings.equity,
        usage: readings.usage,
        source: readings.source,
      })
      .from(readings)
      .where(
        and(eq(readings.accountId, row.accountId), gte(readings.at, from), lt(readings.at, at)),
      )
      .orderBy(asc(readings.at))
      .limit(2_000),
  ]);
  const reset = row.evidence?.rules.daily_reset;
  const dayStartMs = reset
    ? tradingDayAt(at.getTime(), reset.timezone, reset.hour, reset.minute ?? 0, reset.label).startMs
    : at.getTime();
  // The intraday high of a trailing daily rule: the day's readings before the breach.
  let dayHighSeen: number | null = null;
  if (row.evidence?.rules.daily_loss.mode === "trailing_intraday_high") {
    const [high] = await db
      .select({ equity: max(readings.equity) })
      .from(readings)
      .where(
        and(
          eq(readings.accountId, row.accountId),
          gte(readings.at, new Date(dayStartMs)),
          lt(readings.at, at),
        ),
      );
    dayHighSeen = high?.equity ?? null;
  }
  let total = 0;
  let day = 0;
  for (const a of adjustments) {
    total += a.amount;
    if (a.at.getTime() >= dayStartMs) day += a.amount;
  }
  return {
    violation: reportViolation(row),
    evidence: row.evidence ?? null,
    adjustments: { total, day },
    dayHighSeen,
    readings: window.map((r) => ({
      at: r.at.toISOString(),
      balance: r.balance,
      equity: r.equity,
      usage: r.usage,
      source: r.source,
    })),
  };
}

/** A violation row as the report takes it. */
export function reportViolation(row: ViolationRow): ReportViolation {
  return {
    id: row.id,
    account_id: row.accountId,
    rule: row.rule as RuleName,
    period: row.period,
    equity: row.equity,
    floor: row.floor,
    usage: row.usage,
    source: row.source,
    detected_at: row.detectedAt,
    rules_version: row.rulesVersion ?? null,
  };
}
