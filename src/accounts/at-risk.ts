/**
 * The console's "at risk" listing (docs/console.md, "At risk"; docs/api.md, "Accounts", `sort=usage_desc`):
 * accounts by overall usage, highest first, paged by keyset on (usage, id) so a page never
 * costs an OFFSET scan; with a status filter (the console's default) a page is a range of
 * the index on (status, usage, id). Accounts without a
 * reading sort last (their usage counts as -1).
 */
import { and, desc, eq, ilike, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, type AccountRow } from "../db/schema.ts";
import type { AccountStatus } from "../db/schema.ts";
import type { MonitoringState } from "../risk/index.ts";

/** Where a usage-ordered page continues: after the row with this usage and id. */
export interface UsageKey {
  usage: number;
  id: number;
}

export interface AtRiskFilter {
  status?: AccountStatus | undefined;
  monitoringState?: MonitoringState | undefined;
  preset?: string | undefined;
  /** Case-insensitive text in label, login or server. */
  q?: string | undefined;
  after?: UsageKey | undefined;
  limit: number;
}

/**
 * Overall usage in % as a sortable number; -1 without a reading. The index
 * `accounts_status_usage_idx` (src/db/schema.ts) is built on this very expression.
 */
export const usageExpr = sql<number>`coalesce((${accounts.metrics}->'usage'->>'overall')::double precision, -1)`;

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/**
 * The status condition of every account listing and export: the asked status, or, without
 * one, every account but the deleted (archived) ones, which show only when asked for
 * (`status=deleted`; docs/api.md, "Deleting an account").
 */
export function statusFilter(status: AccountStatus | undefined): SQL {
  return status ? eq(accounts.status, status) : ne(accounts.status, "deleted");
}

/** The preset and text conditions shared by both account listings. */
export function textFilters(f: { preset?: string | undefined; q?: string | undefined }): SQL[] {
  const where: SQL[] = [];
  if (f.preset) where.push(eq(accounts.preset, f.preset));
  if (f.q) {
    const pattern = `%${likeLiteral(f.q)}%`;
    where.push(
      or(
        ilike(accounts.label, pattern),
        ilike(accounts.login, pattern),
        ilike(accounts.server, pattern),
      )!,
    );
  }
  return where;
}

/** Up to `limit + 1` accounts, highest overall usage first, ties by id descending. */
export async function listAtRisk(
  db: Db,
  f: AtRiskFilter,
): Promise<Array<AccountRow & { sortUsage: number }>> {
  const where: SQL[] = [statusFilter(f.status)];
  if (f.monitoringState) where.push(eq(accounts.monitoringState, f.monitoringState));
  where.push(...textFilters(f));
  if (f.after) {
    where.push(
      sql`(${usageExpr}, ${accounts.id}) < (${f.after.usage}::double precision, ${f.after.id})`,
    );
  }
  const rows = await db
    .select({ row: accounts, sortUsage: usageExpr })
    .from(accounts)
    .where(and(...where))
    .orderBy(desc(usageExpr), desc(accounts.id))
    .limit(f.limit + 1);
  return rows.map((r) => ({ ...r.row, sortUsage: Number(r.sortUsage) }));
}
