/**
 * Operator changes of an account's status and monitoring state (reset, disable, force live,
 * force polling). Each is one transaction: lock the row, check the precondition, write the
 * new state with `state_version` bumped (so in-flight writes from the poller or the live
 * monitor that read the old state are dropped, see write-changes.ts), and record one audit
 * row (action, actor, reason, state before and after) in the same transaction.
 */
import { eq, sql } from "drizzle-orm";
import { NOTHING, accountRef, recordAlert, sendAlerts, type Recorded } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import { accountAudit, accounts, type AccountRow, type AccountStatus } from "../db/schema.ts";
import type { MonitoringState, RiskState } from "../risk/index.ts";
import { auditValues, type Actor, type AuditAction } from "../domain/audit.ts";
import type { ChangeSource } from "../domain/outcome.ts";

/** The target state; fields left undefined stay as they are. */
export interface StateTarget {
  status?: AccountStatus;
  monitoringState?: MonitoringState;
  /** Forget which periods were already breached, so the rules evaluate afresh (reset). */
  clearBreaches?: boolean;
}

export interface StateChangeOptions {
  /** The audit action, e.g. `account.reset`. */
  action: AuditAction;
  /** Who asks, and their reason (optional). */
  by: Actor;
  source: ChangeSource;
  /** Refuses the change (nothing written) unless it holds for the locked row. */
  precondition?: (row: AccountRow) => boolean;
}

export type StateChangeResult =
  | { kind: "not_found" }
  | { kind: "refused"; row: AccountRow }
  | { kind: "done"; before: AccountRow; after: AccountRow; changed: boolean };

/** The risk engine's carried state with the new monitoring state and, if asked, no breaches. */
function nextRiskState(
  state: RiskState | null,
  monitoring: MonitoringState,
  clearBreaches: boolean,
): RiskState | null {
  if (!state) return null;
  const breached = clearBreaches ? { daily_loss: null, max_loss: null } : state.breached;
  return { ...state, monitoring, breached };
}

/** Moves account `id` to `target`, atomically, with an audit row per changed field. */
export async function changeAccountState(
  db: Db,
  id: number,
  target: StateTarget,
  opts: StateChangeOptions,
): Promise<StateChangeResult> {
  let alerted: Recorded = NOTHING;
  const result = await db.transaction(async (tx): Promise<StateChangeResult> => {
    const [before] = await tx.select().from(accounts).where(eq(accounts.id, id)).for("update");
    if (!before) return { kind: "not_found" };
    if (opts.precondition && !opts.precondition(before)) return { kind: "refused", row: before };

    const status = target.status ?? before.status;
    const monitoring = target.monitoringState ?? before.monitoringState;
    const audit: Array<{ field: "status" | "monitoring_state"; from: string; to: string }> = [];

    if (status !== before.status) audit.push({ field: "status", from: before.status, to: status });
    if (monitoring !== before.monitoringState) {
      audit.push({ field: "monitoring_state", from: before.monitoringState, to: monitoring });
    }
    const clearBreaches = target.clearBreaches ?? false;
    if (audit.length === 0 && !clearBreaches)
      return { kind: "done", before, after: before, changed: false };

    const [after] = await tx
      .update(accounts)
      .set({
        status,
        monitoringState: monitoring,
        riskState: nextRiskState(before.riskState, monitoring, clearBreaches),
        stateVersion: sql`${accounts.stateVersion} + 1`,
        // A reset opens a new epoch: a breach after it is a violation of its own.
        // A reset also ends an enforcement lock (docs/enforcement.md, "Lock").
        ...(clearBreaches
          ? {
              resetEpoch: sql`${accounts.resetEpoch} + 1`,
              resetAt: new Date(),
              lockedAt: null,
              lockedUntil: null,
              lockRule: null,
            }
          : {}),
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, id))
      .returning();
    // One row per action; `field` names the main change (status before monitoring state).
    const main = audit[0];
    await tx.insert(accountAudit).values(
      auditValues({
        action: opts.action,
        actor: opts.by.actor,
        accountId: id,
        reason: opts.by.reason,
        source: opts.source,
        field: main?.field ?? null,
        from: main?.from ?? null,
        to: main?.to ?? null,
        before: { status: before.status, monitoring_state: before.monitoringState },
        after: { status, monitoring_state: monitoring },
      }),
    );
    // An operator's move in or out of live monitoring is alerted with the change.
    if (monitoring !== before.monitoringState) {
      alerted = await recordAlert(
        tx,
        monitoring === "live" ? "account.live_entered" : "account.live_exited",
        {
          account: accountRef(before),
          usage: before.metrics?.usage ?? null,
          reason: opts.by.reason ?? `${opts.action} by ${opts.by.actor}`,
        },
      );
    }
    return { kind: "done", before, after: after!, changed: true };
  });
  await sendAlerts(alerted);
  return result;
}
