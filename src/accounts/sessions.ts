/**
 * Finding accounts by MTAPI session token, now that tokens are sealed at rest
 * (docs/security.md, "Secrets at rest"): by lookup hash under every key held (so a rotation
 * in progress still finds rows hashed under `SECRETS_KEY_PREVIOUS`), and by value for rows
 * still in clear. The unique indexes catch two writes of the same form at once; this check
 * catches a sealed token meeting the same token in clear or under the previous key.
 */
import { and, eq, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema.ts";
import { lookupHashes } from "../secrets/lookup.ts";
import type { SealKeys } from "../secrets/seal.ts";

/** A write would give a second active account the same session token (answered 409). */
export class SessionInUseError extends Error {
  override name = "SessionInUseError";
  constructor() {
    super("another active account uses this session token");
  }
}

/** Rows holding `token`: sealed (by hash under any key held) or in clear (by value). */
export async function holdsSession(keys: SealKeys | null, token: string): Promise<SQL> {
  const hashes = await lookupHashes(keys, token);
  const clear = and(isNull(accounts.sessionHash), eq(accounts.sessionId, token))!;
  return hashes.length ? or(inArray(accounts.sessionHash, hashes), clear)! : clear;
}

/**
 * Throws {@link SessionInUseError} when an active account other than `exceptId` holds
 * `token`. Run it in the write's transaction.
 */
export async function assertSessionFree(
  db: Pick<Db, "select">,
  keys: SealKeys | null,
  token: string,
  exceptId?: number,
): Promise<void> {
  const where = [eq(accounts.status, "active"), await holdsSession(keys, token)];
  if (exceptId !== undefined) where.push(ne(accounts.id, exceptId));
  const [taken] = await db
    .select({ one: sql<number>`1` })
    .from(accounts)
    .where(and(...where))
    .limit(1);
  if (taken) throw new SessionInUseError();
}
