/**
 * Balance adjustments in Postgres (docs/rules.md, "Balance adjustments"): record one
 * (with its audit row, in one transaction), list them, and load those an account's risk state
 * has not applied yet. The risk engine applies them (src/risk/adjustment.ts); the writer that
 * owns the account's figures (the poller, or the live monitor) does so on its next reading.
 */
import { and, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { lockChangeable } from "./archive.ts";
import { accountRef, recordAlert, type Recorded, type Writer } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import {
  type AccountAdjustmentRow,
  type AccountRow,
  accountAdjustments,
  accountAudit,
  accounts,
} from "../db/schema.ts";
import { auditValues } from "../domain/audit.ts";
import { refuseAdjustment, type Adjustment, type AdjustmentRefusal } from "../risk/index.ts";

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

/** What recording an adjustment came to. */
export type RecordedAdjustment =
  | { kind: "recorded"; adjustment: AccountAdjustmentRow; account: AccountRow; alerted: Recorded }
  | { kind: "refused"; refusal: AdjustmentRefusal }
  | { kind: "not_found" };

/** The sum of an account's adjustments its risk state has not applied yet (account currency). */
async function pendingSum(tx: Writer, account: AccountRow): Promise<number> {
  const [row] = await tx
    .select({ sum: sql<string | null>`sum(${accountAdjustments.amount})` })
    .from(accountAdjustments)
    .where(
      and(
        eq(accountAdjustments.accountId, account.id),
        gt(accountAdjustments.id, Number(account.riskState?.adjustment_id ?? 0)),
      ),
    );
  return Number(row?.sum ?? 0);
}

/**
 * Records an adjustment of account `accountId`, its audit row (`account.adjusted`, the amount
 * as the new value, `reason` or else the note as the reason) and its `account.adjusted` alert,
 * in one transaction, when it is within bounds ({@link refuseAdjustment}: judged on the row
 * locked for update, so two withdrawals at once cannot both pass). The caller sends the alert
 * once committed ({@link sendAlerts}).
 */
export async function recordAdjustment(
  db: Db,
  accountId: number,
  amount: number,
  note: string | null,
  by: { actor: string; admin: boolean; reason?: string | null },
  source: "api" = "api",
): Promise<RecordedAdjustment> {
  return db.transaction((tx) => recordAdjustmentIn(tx, accountId, amount, note, by, source));
}

/**
 * {@link recordAdjustment} inside a transaction the caller holds (a confirmed proposal,
 * src/accounts/adjustment-proposals.ts, is marked in the same one).
 */
export async function recordAdjustmentIn(
  tx: Writer,
  accountId: number,
  amount: number,
  note: string | null,
  by: { actor: string; admin: boolean; reason?: string | null },
  source: "api" = "api",
): Promise<RecordedAdjustment> {
  // Locked, and refused when deleted (AccountDeletedError, 409): atomic with the delete.
  const account = await lockChangeable(tx, accountId);
  if (!account) return { kind: "not_found" };
  const refusal = refuseAdjustment(amount, {
    balance: account.riskState?.balance ?? account.rules.initial_balance,
    pending: await pendingSum(tx, account),
    initialBalance: account.rules.initial_balance,
    admin: by.admin,
  });
  if (refusal) return { kind: "refused", refusal };
  const [adjustment] = await tx
    .insert(accountAdjustments)
    .values({ accountId, amount, note })
    .returning();
  const why = by.reason ?? note;
  await tx.insert(accountAudit).values(
    auditValues({
      action: "account.adjusted",
      actor: by.actor,
      accountId,
      reason: `adjustment ${adjustment!.id}${why === null ? "" : `: ${why}`}`,
      source,
      field: "adjustment",
      to: String(amount),
    }),
  );
  const alerted = await recordAlert(tx, "account.adjusted", {
    account: accountRef(account),
    adjustment: {
      id: Number(adjustment!.id),
      amount,
      note,
      actor: by.actor,
      created_at: adjustment!.createdAt.toISOString(),
    },
  });
  return { kind: "recorded", adjustment: adjustment!, account, alerted };
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
