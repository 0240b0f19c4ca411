/**
 * SQL of enforcement actions at creation (docs/enforcement.md, "Persistence"): the step of the
 * write transaction that turns newly recorded hard violations into actions, and the account's
 * lock, in the violation's own transaction. The decision itself is the pure
 * `enforcementRows` (src/domain/enforcement/rows.ts).
 */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, enforcementActions, enforcementHalt } from "../db/schema.ts";
import type { RecordedViolation } from "../domain/account-alerts.ts";
import type { Consequences } from "../domain/enforcement/policy.ts";
import { type AccountPolicyRow, enforcementRows } from "../domain/enforcement/rows.ts";
import type { ViolationRow } from "../domain/write-rows.ts";
import { log } from "../util/log.ts";
import { recordAlerts } from "../alerts/record.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** An action created in the write transaction, for its runner. */
export interface CreatedAction {
  id: number;
  accountId: number;
  dryRun: boolean;
  /** The consequence locks the account (recorded in a dry run too; the lock only when acting). */
  lock: boolean;
}

/**
 * Creates the actions of the new violations (at most one per violation, by the unique key) and
 * locks the accounts whose consequence locks. Nothing is read when enforcement is off for the
 * deployment or nothing was recorded.
 */
export async function createActions(
  tx: Tx,
  recorded: readonly RecordedViolation[],
  violated: readonly ViolationRow[],
  deployment: unknown,
): Promise<CreatedAction[]> {
  if (recorded.length === 0 || (deployment !== "on" && deployment !== "dry_run")) return [];
  const ids = [...new Set(recorded.map((v) => v.accountId))];
  const rows = await tx
    .select({
      id: accounts.id,
      consequences: sql<Consequences | null>`${accounts.rules}->'consequences'`,
      enforcement: accounts.enforcement,
      day_end_ms: sql<number | null>`(${accounts.riskState}->>'day_end_ms')::float8`,
      halted: sql<boolean>`coalesce((select ${enforcementHalt.halted} from ${enforcementHalt} where ${enforcementHalt.id} = 1), false)`,
    })
    .from(accounts)
    .where(inArray(accounts.id, ids));
  const policies = new Map<number, AccountPolicyRow>(rows.map((r) => [r.id, r]));
  const floorOf = new Map(violated.map((v) => [`${v.accountId}/${v.rule}/${v.period}`, v.floor]));
  const fresh = recorded.map((v) => ({
    id: v.id,
    accountId: v.accountId,
    rule: v.rule,
    floor: floorOf.get(`${v.accountId}/${v.rule}/${v.period}`) ?? 0,
  }));
  const { actions, locks } = enforcementRows(fresh, policies, deployment, Date.now());
  if (actions.length === 0) return [];
  const created = await tx
    .insert(enforcementActions)
    .values(
      actions.map((a) => ({
        accountId: a.account_id,
        violationId: a.violation_id,
        kind: a.kind,
        rule: a.rule,
        lock: a.lock,
        dryRun: a.dry_run,
        machine: a.machine,
        floor: a.floor,
      })),
    )
    .onConflictDoNothing()
    .returning({
      id: enforcementActions.id,
      accountId: enforcementActions.accountId,
      dryRun: enforcementActions.dryRun,
      lock: enforcementActions.lock,
    });
  if (locks.length > 0) {
    await recordAlerts(
      tx,
      locks.map((l) => ({
        type: "account.locked" as const,
        data: { account_id: l.id, rule: l.lock_rule, locked_until: l.locked_until },
      })),
    );
    await tx.execute(sql`
      update ${accounts} a set locked_at = now(), locked_until = l.locked_until::timestamptz,
        lock_rule = l.lock_rule, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(locks)}::jsonb) as l(id int, locked_until text, lock_rule text)
      where a.id = l.id`);
  }
  for (const a of created) {
    log("enforcement:created", { action_id: a.id, account_id: a.accountId, dry_run: a.dryRun });
  }
  return created;
}
