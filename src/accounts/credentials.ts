/**
 * Stored credentials and session renewal, the SQL side (docs/mtapi-bridge.md, "Sessions" and
 * "Credentials"): the password is stored sealed (src/secrets/seal.ts) and leaves this module
 * only to `ConnectEx`; the audit records that credentials were set or removed, their kind and
 * who did it, never the password. A renewed token replaces the old one in Postgres.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import { lockChangeable } from "./archive.ts";
import type { Db } from "../db/client.ts";
import { accountAudit, accounts, type AccountRow } from "../db/schema.ts";
import { auditValues, type Actor } from "../domain/audit.ts";
import { maskSecret } from "../domain/redact.ts";
import type { CredentialKind, CredentialStatus } from "../domain/vocabulary.ts";
import { seal, unseal, type SealKeys } from "../secrets/seal.ts";
import { sealKeysOf as cachedSealKeys } from "../secrets/keys.ts";
import { storedSession } from "../secrets/session.ts";
import { holdsSession } from "./sessions.ts";
import { renewBackoffMs } from "../mtapi/renew.ts";
import { log } from "../util/log.ts";

/** The credentials as every answer shows them: never the password. */
export interface CredentialsJson {
  kind: CredentialKind | null;
  set_at: string | null;
  last_login_at: string | null;
  status: CredentialStatus;
}

export function presentCredentials(row: AccountRow): CredentialsJson {
  if (!row.credentialsSealed)
    return { kind: null, set_at: null, last_login_at: null, status: "none" };
  return {
    kind: row.credentialsKind ?? null,
    set_at: row.credentialsSetAt?.toISOString() ?? null,
    last_login_at: row.credentialsLastLoginAt?.toISOString() ?? null,
    status: row.credentialsStatus ?? "ok",
  };
}

/** The deployment's seal keys, or null when they are malformed (logged, never with the key). */
export async function sealKeysOf(env: {
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}): Promise<SealKeys | null> {
  try {
    return await cachedSealKeys(env);
  } catch (err) {
    log("credentials:keys_unusable", { reason: err instanceof Error ? err.message : "unknown" });
    return null;
  }
}

/** Opens a stored password; undefined (logged without the value) when it cannot be opened. */
export function credentialOpener(
  keys: SealKeys | null,
): (row: AccountRow) => Promise<string | undefined> {
  return async (row) => {
    if (!row.credentialsSealed || !keys) return undefined;
    try {
      return await unseal(keys, row.credentialsSealed);
    } catch (err) {
      log("credentials:unseal_failed", {
        account_id: row.id,
        reason: err instanceof Error ? err.message : "unknown",
      });
      return undefined;
    }
  };
}

/** Sets (or replaces) an account's credentials, sealed; audited without the password. */
export async function setCredentials(
  db: Db,
  keys: SealKeys,
  id: number,
  input: { password: string; kind: CredentialKind },
  by: Actor,
  lastLoginAt: Date | null = null,
): Promise<AccountRow | null> {
  const sealed = await seal(keys, input.password);
  return db.transaction(async (tx) => {
    // Refused when deleted, atomically with the delete (docs/api.md, "Deleting an account").
    if ((await lockChangeable(tx, id)) === null) return null;
    const [row] = await tx
      .update(accounts)
      .set({
        credentialsSealed: sealed,
        credentialsKind: input.kind,
        credentialsSetAt: new Date(),
        credentialsStatus: "ok",
        credentialsLastLoginAt: lastLoginAt,
        sessionRenewAfter: null,
        sessionRenewFailures: 0,
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, id))
      .returning();
    if (!row) return null;
    await tx.insert(accountAudit).values(
      auditValues({
        action: "account.credentials_set",
        actor: by.actor,
        accountId: id,
        reason: by.reason,
        source: "api",
        after: { credentials: { kind: input.kind } },
      }),
    );
    return row;
  });
}

/** Removes an account's credentials; audited. */
export async function removeCredentials(db: Db, id: number, by: Actor): Promise<AccountRow | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(accounts)
      .set({
        credentialsSealed: null,
        credentialsKind: null,
        credentialsSetAt: null,
        credentialsLastLoginAt: null,
        credentialsStatus: null,
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, id))
      .returning();
    if (!row) return null;
    await tx.insert(accountAudit).values(
      auditValues({
        action: "account.credentials_removed",
        actor: by.actor,
        accountId: id,
        reason: by.reason,
        source: "api",
      }),
    );
    return row;
  });
}

/**
 * A renewed session: the new token (sealed) replaces `oldToken` (unless an operator changed it
 * meanwhile), backoff reset, a login by credentials recorded. Audited when the token changed.
 * Both tokens are given in clear; the row is matched by the old one's lookup hash (or value,
 * on a row still in clear).
 * @returns false when the row no longer holds `oldToken`, or the token is another account's.
 */
export async function recordRenewed(
  db: Db,
  keys: SealKeys | null,
  id: number,
  oldToken: string,
  token: string,
  via: "token" | "credentials",
  actor: string,
): Promise<boolean> {
  const now = new Date();
  const [stored, heldOld] = await Promise.all([
    storedSession(keys, token),
    holdsSession(keys, oldToken),
  ]);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .update(accounts)
        .set({
          ...stored,
          sessionRenewAfter: null,
          sessionRenewFailures: 0,
          ...(via === "credentials"
            ? { credentialsLastLoginAt: now, credentialsStatus: "ok" as const }
            : {}),
          updatedAt: now,
        })
        // Never onto a deleted account: its wiped session stays wiped.
        .where(and(eq(accounts.id, id), heldOld, ne(accounts.status, "deleted")))
        .returning({ id: accounts.id });
      if (!row) return false;
      await tx.insert(accountAudit).values(
        auditValues({
          action: "account.session_renewed",
          actor,
          accountId: id,
          source: actor === "monitor" ? "event" : "poll",
          reason: via === "token" ? "ConnectByToken" : "ConnectEx with stored credentials",
          ...(token === oldToken
            ? {}
            : {
                before: { session_id: maskSecret(oldToken) },
                after: { session_id: maskSecret(token) },
              }),
        }),
      );
      return true;
    });
  } catch (err) {
    // Another active account holds that token (accounts_active_session_hash_key).
    log("session:renew_conflict", { account_id: id }, err);
    return false;
  }
}

/** A failed renewal: back off; `INVALID_ACCOUNT` marks the credentials rejected (no retry). */
export async function recordRenewFailed(
  db: Db,
  id: number,
  rejected: boolean,
  now: number,
): Promise<void> {
  await db
    .update(accounts)
    .set({
      sessionRenewFailures: sql`${accounts.sessionRenewFailures} + 1`,
      sessionRenewAfter: sql`to_timestamp((${now}::float8 + (case when ${accounts.sessionRenewFailures} >= 6 then 1800000 else 30000 * power(2, ${accounts.sessionRenewFailures}) end)) / 1000)`,
      ...(rejected ? { credentialsStatus: "rejected" as const } : {}),
    })
    .where(eq(accounts.id, id));
}

/** The backoff recordRenewFailed writes, for callers that keep it in memory (ms). */
export { renewBackoffMs };
