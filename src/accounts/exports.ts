/**
 * The page queries behind the CSV exports: the same filters as the JSON lists, newest first
 * by id, one keyset page at a time (`id < beforeId`), only the columns the CSV shows.
 */
import type { InsertedViolation } from "../domain/account-alerts.ts";
import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { AccountMetrics } from "../domain/metrics.ts";
import { accounts, violations } from "../db/schema.ts";
import { textFilters } from "./at-risk.ts";
import type { AccountFilter, ViolationFilter } from "./queries.ts";

/** Rows per page of an export: large enough to keep round trips few, small enough to bound memory. */
export const EXPORT_PAGE = 1000;

const accountColumns = {
  id: accounts.id,
  login: accounts.login,
  server: accounts.server,
  sessionId: accounts.sessionId,
  label: accounts.label,
  status: accounts.status,
  monitoringState: accounts.monitoringState,
  preset: accounts.preset,
  rulesVersion: accounts.rulesVersion,
  metrics: accounts.metrics,
  problem: accounts.problem,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
};

export interface AccountExportRow {
  id: number;
  login: string;
  server: string;
  sessionId: string;
  label: string | null;
  status: string;
  monitoringState: string;
  preset: string | null;
  rulesVersion: number;
  metrics: AccountMetrics | null;
  problem: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One page of accounts for accounts.csv (`limit` rows, no look-ahead). */
export async function exportAccountsPage(db: Db, f: AccountFilter): Promise<AccountExportRow[]> {
  const where: SQL[] = [];
  if (f.status) where.push(eq(accounts.status, f.status));
  if (f.monitoringState) where.push(eq(accounts.monitoringState, f.monitoringState));
  // Every filter of the list (docs/api.md, "Exports"): preset and text search too.
  where.push(...textFilters(f));
  if (f.beforeId !== undefined) where.push(lt(accounts.id, f.beforeId));
  return db
    .select(accountColumns)
    .from(accounts)
    .where(and(...where))
    .orderBy(desc(accounts.id))
    .limit(f.limit);
}

const violationColumns = {
  id: violations.id,
  accountId: violations.accountId,
  rule: violations.rule,
  period: violations.period,
  equity: violations.equity,
  floor: violations.floor,
  usage: violations.usage,
  source: violations.source,
  detectedAt: violations.detectedAt,
  rulesVersion: violations.rulesVersion,
};

export interface ViolationExportRow extends InsertedViolation {
  id: number;
  rulesVersion: number | null;
}

/** One page of violations for violations.csv (`limit` rows, no look-ahead). */
export async function exportViolationsPage(
  db: Db,
  f: ViolationFilter,
): Promise<ViolationExportRow[]> {
  const where: SQL[] = [];
  if (f.accountId !== undefined) where.push(eq(violations.accountId, f.accountId));
  if (f.since) where.push(gte(violations.detectedAt, f.since));
  if (f.severity) where.push(eq(violations.severity, f.severity));
  if (f.beforeId !== undefined) where.push(lt(violations.id, f.beforeId));
  return db
    .select(violationColumns)
    .from(violations)
    .where(and(...where))
    .orderBy(desc(violations.id))
    .limit(f.limit);
}
