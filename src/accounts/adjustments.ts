/**
 * Balance adjustments in Postgres (docs/rules.md, "Balance adjustments"): record one
 * (with its audit row, in one transaction), list them, and load those an account's risk state
 * has not applied yet. The risk engine applies them (src/risk/adjustment.ts); the writer that
 * owns the account's figures (the poller, or the live monitor) does so on its next reading.
 */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  type AccountAdjustmentRow,
  type AccountRow,
  accountAdjustments,
  accountAudit,
  accounts,
} from "../db/schema.ts";
import type { Adjustment } from "../risk/index.ts";

/** An adjustment as the admin API shows it. */
export interface AdjustmentJson {
  id: number;
  account_id: number;
  amount: number;
  note: string | null;
  created_at: string;
}

/** The adjustment's JSON. */
export function presentAdjustment(row: AccountAdjustmentRow): AdjustmentJson {
  return {
    id: row.id,
    account_id: row.accountId,
    amount: row.amount,
    note: row.note,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * Records an adjustment of account `accountId` and its audit row (`field` `adjustment`, the
 * amount as the new value, `reason` or else the note as the reason), in one transaction.
 * Returns null when the account does not exist.
 */
export async function recordAdjustment(
  db: Db,
  accountId: number,
  amount: number,
  note: string | null,
  reason: string | null = null,
  source: "api" = "api",
): Promise<{ adjustment: AccountAdjustmentRow; account: AccountRow } | null> {
  return db.transaction(async (tx) => {
    const [account] = await tx
      .select()
      .from(accounts)
      .where(eq(accounts.id, accountId))
      .for("update");
    if (!account) return null;
    const [adjustment] = await tx
      .insert(accountAdjustments)
      .values({ accountId, amount, note })
      .returning();
    await tx.insert(accountAudit).values({
      accountId,
      field: "adjustment",
      fromValue: null,
      toValue: String(amount),
      reason: `adjustment ${adjustment!.id}${(reason ?? note) === null ? "" : `: ${reason ?? note}`}`,
      source,
    });
    return { adjustment: adjustment!, account };
  });
}

/** True when account `id` exists. */
export async function accountExists(db: Db, id: number): Promise<boolean> {
  const [row] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id));
  return row !== undefined;
}

/** An account's adjustments, newest first, `limit` at a time, before id `beforeId`. */
export async function listAdjustments(
  db: Db,
  accountId: number,
  limit: number,
  beforeId?: number,
): Promise<AccountAdjustmentRow[]> {
  const where = [eq(accountAdjustments.accountId, accountId)];
  if (beforeId !== undefined) where.push(lt(accountAdjustments.id, beforeId));
  return db
    .select()
    .from(accountAdjustments)
    .where(and(...where))
    .orderBy(desc(accountAdjustments.id))
    .limit(limit);
}

/**
 * The adjustments each of `rows` has not applied yet (id above its risk state's
 * `adjustment_id`), by account id, oldest first. One query for the whole batch.
 */
export async function pendingAdjustments(
  db: Db,
  rows: readonly AccountRow[],
): Promise<Map<number, Adjustment[]>> {
  const byAccount = new Map<number, Adjustment[]>();
  if (rows.length === 0) return byAccount;
  const found = await db
    .select({
      id: accountAdjustments.id,
      accountId: accountAdjustments.accountId,
      amount: accountAdjustments.amount,
    })
    .from(accountAdjustments)
    .innerJoin(accounts, eq(accounts.id, accountAdjustments.accountId))
    .where(
      and(
        inArray(
          accountAdjustments.accountId,
          rows.map((r) => r.id),
        ),
        sql`${accountAdjustments.id} > coalesce((${accounts.riskState}->>'adjustment_id')::bigint, 0)`,
      ),
    )
    .orderBy(accountAdjustments.id);
  for (const a of found) {
    const list = byAccount.get(a.accountId) ?? [];
    list.push({ id: Number(a.id), amount: a.amount });
    byAccount.set(a.accountId, list);
  }
  return byAccount;
}
