/**
 * Records trade-rule violations (docs/trades.md, "Severity") in one transaction: each at most
 * once per (account, rule, period), with severity, ticket and evidence; a hard one that landed
 * fails the account (if still active) with its audit line; `violation.recorded` per new row.
 */
import { and, eq, sql } from "drizzle-orm";
import { recordAlerts, sendAlerts } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import { accountAudit, accounts, violations } from "../db/schema.ts";
import { auditValues, systemActor } from "../domain/audit.ts";
import {
  tradeViolationAlerts,
  type JudgedAccount,
  type TradeViolationRow,
} from "../domain/trades/violation-rows.ts";
import type { ReadingSource } from "../risk/index.ts";
import { log } from "../util/log.ts";

/** What was recorded. */
export interface TradeViolationsResult {
  recorded: Array<{ id: number; rule: string; period: string; severity: string }>;
  /** True when a hard violation failed the account now. */
  breached: boolean;
}

/** Inserts the rows; a replay (or a race with another judge) records nothing twice. */
export async function recordTradeViolations(
  db: Db,
  account: JudgedAccount,
  rows: readonly TradeViolationRow[],
  source: ReadingSource,
): Promise<TradeViolationsResult> {
  if (rows.length === 0) return { recorded: [], breached: false };
  const result = await db.transaction(async (tx) => {
    const recorded = await tx
      .insert(violations)
      .values(rows.map((r) => ({ ...r })))
      .onConflictDoNothing({
        target: [violations.accountId, violations.rule, violations.period, violations.resetEpoch],
      })
      .returning({
        id: violations.id,
        rule: violations.rule,
        period: violations.period,
        severity: violations.severity,
      });
    let breached = false;
    if (recorded.some((r) => r.severity === "hard")) {
      const marked = await tx
        .update(accounts)
        .set({
          status: "breached",
          monitoringState: "polling",
          stateVersion: sql`${accounts.stateVersion} + 1`,
          updatedAt: new Date(),
        })
        .where(and(eq(accounts.id, account.id), eq(accounts.status, "active")))
        .returning({ id: accounts.id });
      breached = marked.length > 0;
      if (breached) {
        const hard = recorded.find((r) => r.severity === "hard")!;
        await tx.insert(accountAudit).values(
          auditValues({
            action: "account.breached",
            actor: systemActor(source),
            accountId: account.id,
            reason: `hard trade-rule violation ${hard.rule}`,
            source,
            field: "status",
            from: "active",
            to: "breached",
            before: { status: "active" },
            after: { status: "breached" },
          }),
        );
      }
    }
    const alerted = await recordAlerts(tx, tradeViolationAlerts(account, rows, recorded));
    return { recorded, breached, alerted };
  });
  await sendAlerts(result.alerted);
  for (const r of result.recorded) {
    log("violation:recorded", {
      account_id: account.id,
      rule: r.rule,
      period: r.period,
      severity: r.severity,
      source,
    });
  }
  return { recorded: result.recorded, breached: result.breached };
}
