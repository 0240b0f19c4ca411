/**
 * Share links in Postgres (docs/trader-page.md): make one (with its `share.created` audit row,
 * in one transaction), list an account's, revoke one (`share.revoked`), and find the live link
 * of a token hash. Only the token's SHA-256 is stored; the token is made and shown by the
 * caller (src/http/share-token.ts).
 */
import { and, desc, eq, isNull } from "drizzle-orm";
import { lockChangeable } from "./archive.ts";
import { auditValues, type Actor } from "../domain/audit.ts";
import type { Db } from "../db/client.ts";
import { accountAudit, accountShares, type AccountShareRow } from "../db/schema.ts";

/** The states a link can be in, as listed. */
export type ShareState = "active" | "expired" | "revoked";

/** A link as `GET /v1/accounts/{id}/shares` lists it: never the token, never its hash. */
export interface ShareJson {
  id: number;
  account_id: number;
  state: ShareState;
  created_at: string;
  created_by: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

/** The state of `row` at `nowMs`. */
export function shareState(row: AccountShareRow, nowMs: number): ShareState {
  if (row.revokedAt) return "revoked";
  return row.expiresAt.getTime() <= nowMs ? "expired" : "active";
}

/** The link's JSON at `nowMs`. */
export function presentShare(row: AccountShareRow, nowMs: number): ShareJson {
  return {
    id: row.id,
    account_id: row.accountId,
    state: shareState(row, nowMs),
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    expires_at: row.expiresAt.toISOString(),
    revoked_at: row.revokedAt?.toISOString() ?? null,
    revoked_by: row.revokedBy,
  };
}

/** Stores a link of `accountId` for the token whose hash is `tokenHash`, audited. */
export async function createShare(
  db: Db,
  input: { accountId: number; tokenHash: string; expiresAt: Date },
  by: Actor,
): Promise<AccountShareRow> {
  return db.transaction(async (tx) => {
    // The delete revokes every link under its lock: a link made beside it lands before it (and
    // is revoked by it) or is refused (AccountDeletedError, 409).
    await lockChangeable(tx, input.accountId, "share");
    const [row] = await tx
      .insert(accountShares)
      .values({
        accountId: input.accountId,
        tokenHash: input.tokenHash,
        createdBy: by.actor,
        expiresAt: input.expiresAt,
      })
      .returning();
    await tx.insert(accountAudit).values(
      auditValues({
        action: "share.created",
        actor: by.actor,
        accountId: input.accountId,
        reason: by.reason,
        source: "api",
        after: { share_id: row!.id, expires_at: row!.expiresAt.toISOString() },
      }),
    );
    return row!;
  });
}

/** The links of an account, newest first (revoked and expired ones too). */
export async function listShares(db: Db, accountId: number): Promise<AccountShareRow[]> {
  return db
    .select()
    .from(accountShares)
    .where(eq(accountShares.accountId, accountId))
    .orderBy(desc(accountShares.id));
}

/**
 * Revokes link `shareId` of account `accountId`, audited, in one transaction: the next
 * request with its token is a 404. `not_found` when the account has no such link; `already`
 * when it was revoked before (nothing written).
 */
export async function revokeShare(
  db: Db,
  accountId: number,
  shareId: number,
  by: Actor,
): Promise<"revoked" | "already" | "not_found"> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(accountShares)
      .where(and(eq(accountShares.id, shareId), eq(accountShares.accountId, accountId)))
      .for("update");
    if (!row) return "not_found";
    if (row.revokedAt) return "already";
    await tx
      .update(accountShares)
      .set({ revokedAt: new Date(), revokedBy: by.actor })
      .where(eq(accountShares.id, shareId));
    await tx.insert(accountAudit).values(
      auditValues({
        action: "share.revoked",
        actor: by.actor,
        accountId,
        reason: by.reason,
        source: "api",
        before: { share_id: row.id, expires_at: row.expiresAt.toISOString() },
      }),
    );
    return "revoked";
  });
}

/** The unrevoked link whose token hash is `tokenHash`, or null (expiry is the caller's check). */
export async function findShareByHash(db: Db, tokenHash: string): Promise<AccountShareRow | null> {
  const [row] = await db
    .select()
    .from(accountShares)
    .where(and(eq(accountShares.tokenHash, tokenHash), isNull(accountShares.revokedAt)));
  return row ?? null;
}
