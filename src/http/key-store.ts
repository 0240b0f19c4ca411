/**
 * API keys (docs/api.md, "API keys and roles"): `sk_` + 32 random bytes in base64url, kept
 * only as a SHA-256 hex digest with its first characters for display. The secret itself is
 * returned once, at creation, and never stored or logged.
 */
import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { auditValues, type Actor } from "../domain/audit.ts";
import type { Db } from "../db/client.ts";
import { uniqueViolation } from "../db/errors.ts";
import { accountAudit, apiKeys, type ApiKeyRow } from "../db/schema.ts";
import type { Role } from "./role-table.ts";
import { sha256Hex } from "./session-cookie.ts";

/** Every key starts with this. */
export const KEY_PREFIX = "sk_";
/** Characters of a key kept for display (`sk_` and 4 more). */
export const DISPLAY_PREFIX_LENGTH = 7;
/** `last_used_at` is written at most this often per key (ms). */
export const LAST_USED_EVERY_MS = 60_000;

export { sha256Hex };

/** A new random key: `sk_` + 43 base64url characters (256 bits). */
export function generateKey(
  random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const bytes = random(new Uint8Array(32));
  const b64 = btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return `${KEY_PREFIX}${b64}`;
}

/** A key as `GET /v1/keys` lists it: no secret, no hash. */
export interface KeyJson {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
}

export function presentKey(row: ApiKeyRow): KeyJson {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** True when `err` is the unique violation of a name in use by a live key. */
export function isKeyNameTaken(err: unknown): boolean {
  return uniqueViolation(err) === "api_keys_active_name_key";
}

/**
 * Creates a key and its `key.created` audit row in one transaction; returns the row and the
 * secret. A name in use by a live key fails with a unique violation:
 * {@link isKeyNameTaken} tells.
 */
export async function createKey(
  db: Db,
  input: { name: string; role: Role },
  by: Actor,
): Promise<{ row: ApiKeyRow; key: string }> {
  const key = generateKey();
  const hash = await sha256Hex(key);
  const row = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        name: input.name,
        role: input.role,
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        hash,
        createdBy: by.actor,
      })
      .returning();
    await tx.insert(accountAudit).values(
      auditValues({
        action: "key.created",
        actor: by.actor,
        accountId: null,
        reason: by.reason,
        source: "api",
        after: { id: row!.id, name: row!.name, role: row!.role, prefix: row!.prefix },
      }),
    );
    return row!;
  });
  return { row, key };
}

/** Live (not revoked) keys, newest first. */
export async function listKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).orderBy(desc(apiKeys.id));
}

/**
 * Revokes key `id` with a `key.revoked` audit row, in one transaction. `not_found` when no
 * key has that id; `already` when it was revoked before (nothing written).
 */
export async function revokeKey(
  db: Db,
  id: number,
  by: Actor,
  opts: { adminTokenSet: boolean } = { adminTokenSet: true },
): Promise<"revoked" | "already" | "not_found" | "last_admin"> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for("update");
    if (!row) return "not_found";
    if (row.revokedAt) return "already";
    // Without ADMIN_TOKEN the last live admin key is the only way in: it stays (docs/security.md).
    if (row.role === "admin" && !opts.adminTokenSet) {
      const admins = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.role, "admin"), isNull(apiKeys.revokedAt)))
        .for("update");
      if (admins.length <= 1) return "last_admin";
    }
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
    await tx.insert(accountAudit).values(
      auditValues({
        action: "key.revoked",
        actor: by.actor,
        accountId: null,
        reason: by.reason,
        source: "api",
        before: { id: row.id, name: row.name, role: row.role, prefix: row.prefix },
      }),
    );
    return "revoked";
  });
}

/** The live key whose hash is `hash`, or null (unknown or revoked). */
export async function findLiveKey(db: Db, hash: string): Promise<ApiKeyRow | null> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  return row ?? null;
}

/** True when a key's `last_used_at` is missing or older than {@link LAST_USED_EVERY_MS}. */
export function lastUsedIsStale(lastUsedAt: Date | null, now: number): boolean {
  return !lastUsedAt || now - lastUsedAt.getTime() > LAST_USED_EVERY_MS;
}

/**
 * Sets `last_used_at` to now unless another request did within the last minute (the guard
 * in SQL makes concurrent requests write once).
 */
export async function touchKey(db: Db, id: number): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        or(
          isNull(apiKeys.lastUsedAt),
          lt(apiKeys.lastUsedAt, sql`now() - make_interval(secs => ${LAST_USED_EVERY_MS / 1000})`),
        ),
      ),
    );
}
