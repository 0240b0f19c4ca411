/**
 * The rows a batch's new violations give the enforcement tables, built without a database
 * (docs/enforcement.md, "Persistence"): one action per hard violation whose consequence and
 * mode say to act, and the account's lock when the consequence locks (never in a dry run).
 */
import { newAction, type ActionState } from "./action.ts";
import { decideAction, lockEnds, type Consequences } from "./policy.ts";

/** A violation just recorded, with the floor it crossed. */
export interface NewViolation {
  id: number;
  accountId: number;
  rule: string;
  floor: number;
}

/** What the transaction reads per account to decide. */
export interface AccountPolicyRow {
  id: number;
  consequences: Consequences | null;
  enforcement: string | null;
  /** ms, the end of the account's current trading day (from its risk state); null if unknown. */
  day_end_ms: number | null;
  halted: boolean;
}

export interface ActionInsertRow {
  account_id: number;
  violation_id: number;
  kind: "close_all";
  rule: string;
  lock: boolean;
  dry_run: boolean;
  machine: ActionState;
  floor: number;
}

export interface LockRow {
  id: number;
  locked_until: string | null;
  lock_rule: string;
}

/**
 * One action per account and batch (the first hard violation that asks for one: a second
 * breach in the same batch closes nothing more), and the locks.
 */
export function enforcementRows(
  recorded: readonly NewViolation[],
  policies: ReadonlyMap<number, AccountPolicyRow>,
  deployment: unknown,
  now: number,
): { actions: ActionInsertRow[]; locks: LockRow[] } {
  const actions: ActionInsertRow[] = [];
  const locks: LockRow[] = [];
  const seen = new Set<number>();
  for (const v of recorded) {
    if (seen.has(v.accountId)) continue;
    const p = policies.get(v.accountId);
    if (p === undefined) continue;
    const d = decideAction(p.consequences, v.rule, {
      deployment,
      account: p.enforcement,
      halted: p.halted,
    });
    if (!d.act) continue;
    seen.add(v.accountId);
    actions.push({
      account_id: v.accountId,
      violation_id: v.id,
      kind: "close_all",
      rule: v.rule,
      lock: d.lock,
      dry_run: d.dryRun,
      machine: newAction("close_all", d.dryRun, now),
      floor: v.floor,
    });
    if (d.lock && !d.dryRun) {
      const until = lockEnds(v.rule, p.day_end_ms);
      locks.push({
        id: v.accountId,
        locked_until: until === null ? null : new Date(until).toISOString(),
        lock_rule: v.rule,
      });
    }
  }
  return { actions, locks };
}
