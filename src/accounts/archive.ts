/**
 * Deleting an account archives it (docs/api.md, "Deleting an account"; docs/security.md,
 * "Deleting keeps the record"): one transaction locks the row, moves it to `deleted` /
 * `polling` with `state_version` bumped (so a write still on its way from the poller or the
 * live monitor is dropped, write-changes.ts), wipes its secrets (the session token becomes a
 * placeholder, stored credentials are removed), clears its problem, revokes its share links
 * and records one `account.deleted` audit row. Its violations, evidence, readings, trades,
 * adjustments, rules versions, audit and enforcement actions stay, readable by its id.
 * Its unfinished enforcement actions stop at their runner's next command, as under a halt
 * ("account deleted", docs/enforcement.md, "Deleted accounts"); the delete only makes those no
 * runner holds due now. Every change of an account locks the same row and refuses a deleted
 * one ({@link lockChangeable}), so a change racing the delete lands before it or gets 409.
 */
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { Writer } from "../alerts/record.ts";
import {
  accountAudit,
  accountShares,
  accounts,
  enforcementActions,
  type AccountRow,
} from "../db/schema.ts";
import { auditValues, type Actor } from "../domain/audit.ts";

/** A change reached an account that is deleted (the API answers 409). */
export class AccountDeletedError extends Error {
  readonly accountId: number;
  constructor(accountId: number) {
    super(`account ${accountId} is deleted: its history stays readable, it cannot be changed`);
    this.name = "AccountDeletedError";
    this.accountId = accountId;
  }
}

/**
 * Locks account `id` for a change inside `tx` and refuses a deleted one: the delete locks the
 * same row (`for update`), so a change either commits before the archive or waits for it and
 * then sees `deleted` (docs/api.md, "Deleting an account"). `share`: for a change that writes
 * other tables only (a share link). Null when there is no such account.
 * @throws AccountDeletedError
 */
export async function lockChangeable(
  tx: Writer,
  id: number,
  strength: "update" | "share" = "update",
): Promise<AccountRow | null> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.id, id)).for(strength);
  if (row?.status === "deleted") throw new AccountDeletedError(id);
  return row ?? null;
}

/** The session token a deleted account keeps: no secret, and never a routable token. */
export function deletedSessionPlaceholder(id: number): string {
  return `deleted-${id}`;
}

export type ArchiveResult =
  { kind: "not_found" } | { kind: "done"; before: AccountRow; after: AccountRow; changed: boolean };

/** Archives account `id`; deleting a deleted account again changes nothing. */
export async function archiveAccount(db: Db, id: number, by: Actor): Promise<ArchiveResult> {
  return db.transaction(async (tx): Promise<ArchiveResult> => {
    const [before] = await tx.select().from(accounts).where(eq(accounts.id, id)).for("update");
    if (!before) return { kind: "not_found" };
    if (before.status === "deleted") return { kind: "done", before, after: before, changed: false };
    const now = new Date();
    const [after] = await tx
      .update(accounts)
      .set({
        status: "deleted",
        monitoringState: "polling",
        riskState: before.riskState ? { ...before.riskState, monitoring: "polling" } : null,
        stateVersion: sql`${accounts.stateVersion} + 1`,
        sessionId: deletedSessionPlaceholder(id),
        // The token's lookup hash and mask go with it (docs/security.md, "Secrets at rest").
        sessionHash: null,
        sessionMask: null,
        credentialsSealed: null,
        credentialsKind: null,
        credentialsSetAt: null,
        credentialsLastLoginAt: null,
        credentialsStatus: null,
        sessionRenewAfter: null,
        sessionRenewFailures: 0,
        problem: null,
        problemSince: null,
        updatedAt: now,
      })
      .where(eq(accounts.id, id))
      .returning();
    // Its unfinished enforcement actions are made due now, so the cron's pass ends them soon
    // ("account deleted", docs/enforcement.md, "Deleted accounts"): only the schedule of an
    // action no runner holds; a held one sees the delete at its next command.
    await tx
      .update(enforcementActions)
      .set({ resumeAt: now })
      .where(
        and(
          eq(enforcementActions.accountId, id),
          inArray(enforcementActions.state, ["pending", "running"]),
          sql`(${enforcementActions.leaseUntil} is null or ${enforcementActions.leaseUntil} < now())`,
        ),
      );
    // A trader's link to a deleted account answers 404 from now on.
    await tx
      .update(accountShares)
      .set({ revokedAt: now, revokedBy: by.actor })
      .where(and(eq(accountShares.accountId, id), isNull(accountShares.revokedAt)));
    await tx.insert(accountAudit).values(
      auditValues({
        action: "account.deleted",
        actor: by.actor,
        accountId: id,
        reason: by.reason,
        source: "api",
        field: "status",
        from: before.status,
        to: "deleted",
        before: {
          status: before.status,
          monitoring_state: before.monitoringState,
          credentials: before.credentialsSealed ? "set" : "none",
        },
        after: { status: "deleted", monitoring_state: "polling", credentials: "none" },
      }),
    );
    return { kind: "done", before, after: after!, changed: true };
  });
}
