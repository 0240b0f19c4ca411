/**
 * The page queries behind the CSV exports: the same filters and order as the JSON lists
 * (newest first by id, or with `sort=usage_desc` highest overall usage first), one keyset
 * page at a time, only the columns the CSV shows.
 */
import type { InsertedViolation } from "../domain/account-alerts.ts";
import { and, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { AccountMetrics } from "../domain/metrics.ts";
import { accounts, violations } from "../db/schema.ts";
import { statusFilter, textFilters, usageExpr, type UsageKey } from "./at-risk.ts";
import type { AccountFilter, ViolationFilter } from "./queries.ts";

/** Rows per page of an export: large enough to keep round trips few, small enough to bound memory. */
export const EXPORT_PAGE = 1000;

const accountColumns = {
  id: accounts.id,
  login: accounts.login,
  server: accounts.server,
  sessionId: accounts.sessionId,
  sessionMask: accounts.sessionMask,
  label: accounts.label,
  status: accounts.status,
  monitoringState: accounts.monitoringState,
  preset: accounts.preset,
  rulesVersion: accounts.rulesVersion,
  metrics: accounts.metrics,
  problem: accounts.problem,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
  sortUsage: usageExpr,
};

export interface AccountExportRow {
  id: number;
  login: string;
  server: string;
  sessionId: string;
  sessionMask: string | null;
  label: string | null;
  status: string;
  monitoringState: string;
  preset: string | null;
  rulesVersion: number;
  metrics: AccountMetrics | null;
  problem: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Overall usage as the `usage_desc` order sorts it (-1 without a reading): the keyset. */
  sortUsage: number;
}

/** What an accounts export pages by: the list's order, and where the last page ended. */
export interface AccountExportFilter extends Omit<AccountFilter, "beforeId"> {
  sort?: "id_desc" | "usage_desc" | undefined;
  /** The previous page's last row; undefined for the first page. */
  after?: UsageKey | undefined;
}

/** One page of accounts for accounts.csv (`limit` rows, no look-ahead). */
export async function exportAccountsPage(
  db: Db,
  f: AccountExportFilter,
): Promise<AccountExportRow[]> {
  // Every filter and the order of the list (docs/api.md, "Exports"): status (deleted accounts
  // only when asked), monitoring state, preset, text search, and sort.
  const where: SQL[] = [statusFilter(f.status)];
  if (f.monitoringState) where.push(eq(accounts.monitoringState, f.monitoringState));
  where.push(...textFilters(f));
  const byUsage = f.sort === "usage_desc";
  if (f.after && byUsage)
    where.push(
      sql`(${usageExpr}, ${accounts.id}) < (${f.after.usage}::double precision, ${f.after.id})`,
    );
  else if (f.after) where.push(lt(accounts.id, f.after.id));
  const rows = await db
    .select(accountColumns)
    .from(accounts)
    .where(and(...where))
    .orderBy(...(byUsage ? [desc(usageExpr), desc(accounts.id)] : [desc(accounts.id)]))
    .limit(f.limit);
  return rows.map((r) => ({ ...r, sortUsage: Number(r.sortUsage) }));
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
