/**
 * Rule versions (docs/api.md, "Audit trail, reasons and rule versions"): every change of an account's rules writes a
 * new version with when it took effect, who made it and why; version 1 is the rules the
 * account was created with. `accounts.rules` and `accounts.rules_version` hold the version in
 * force, so readers of the account need no join.
 */
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountRules, type AccountRow } from "../db/schema.ts";
import type { RuleParams } from "../risk/index.ts";
import type { Actor } from "../domain/audit.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** A rules version as the API shows it. */
export interface RulesVersionJson {
  version: number;
  rules: RuleParams;
  effective_from: string;
  actor: string | null;
  reason: string | null;
}

/** Writes version 1 of a new account (inside its creating transaction). */
export async function writeFirstVersion(tx: Tx, row: AccountRow, by: Actor): Promise<void> {
  await tx.insert(accountRules).values({
    accountId: row.id,
    version: 1,
    rules: row.rules,
    preset: row.preset,
    effectiveFrom: row.createdAt,
    actor: by.actor,
    reason: by.reason ?? null,
  });
}

/**
 * Writes the version after `before`'s (inside the transaction that changes the rules, with
 * the account row locked). An account created before versions existed first gets its old
 * rules recorded as the version they were, so the history has no gap.
 */
export async function writeNextVersion(
  tx: Tx,
  before: AccountRow,
  next: { rules: RuleParams; preset: string | null },
  by: Actor,
  at: Date,
): Promise<number> {
  await tx
    .insert(accountRules)
    .values({
      accountId: before.id,
      version: before.rulesVersion,
      rules: before.rules,
      preset: before.preset,
      effectiveFrom: before.createdAt,
      actor: null,
      reason: null,
    })
    .onConflictDoNothing();
  const version = before.rulesVersion + 1;
  await tx.insert(accountRules).values({
    accountId: before.id,
    version,
    rules: next.rules,
    preset: next.preset,
    effectiveFrom: at,
    actor: by.actor,
    reason: by.reason ?? null,
  });
  return version;
}

/**
 * Every version of an account's rules, oldest first. An account created before versions
 * existed and never changed since shows its rules as version 1, from its creation.
 */
export async function listRulesVersions(db: Db, account: AccountRow): Promise<RulesVersionJson[]> {
  const rows = await db
    .select()
    .from(accountRules)
    .where(eq(accountRules.accountId, account.id))
    .orderBy(asc(accountRules.version));
  if (rows.length === 0) {
    return [
      {
        version: account.rulesVersion,
        rules: account.rules,
        effective_from: account.createdAt.toISOString(),
        actor: null,
        reason: null,
      },
    ];
  }
  return rows.map((r) => ({
    version: r.version,
    rules: r.rules,
    effective_from: r.effectiveFrom.toISOString(),
    actor: r.actor,
    reason: r.reason,
  }));
}
