/**
 * Deleting an account archives it (docs/api.md, "Deleting an account"; docs/security.md,
 * "Deleting keeps the record"): one transaction locks the row, moves it to `deleted` /
 * `polling` with `state_version` bumped (so a write still on its way from the poller or the
 * live monitor is dropped, write-changes.ts), wipes its secrets (the session token becomes a
 * placeholder, stored credentials are removed), clears its problem, revokes its share links
 * and records one `account.deleted` audit row. Its violations, evidence, readings, trades,
 * adjustments, rules versions, audit and enforcement actions stay, readable by its id.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountAudit, accountShares, accounts, type AccountRow } from "../db/schema.ts";
import { auditValues, type Actor } from "../domain/audit.ts";

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
