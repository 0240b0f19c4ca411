/**
 * Share-link tokens (docs/trader-page.md): 32 random bytes in base64url (43 characters, 256
 * bits), kept only as their SHA-256. Resolving a token takes the same steps whatever it is
 * (guessed, expired, revoked, malformed or good): it is hashed, looked up by its hash, and
 * compared in constant time; every failure is the one `null`, which the routes answer with
 * one 404.
 */
import type { Db } from "../db/client.ts";
import type { AccountShareRow } from "../db/schema.ts";
import { findShareByHash } from "../accounts/shares.ts";
import { equalHex, sha256Hex } from "./session-cookie.ts";
import { MAX_SHARE_DAYS, generateShareToken, isTokenShaped } from "./share-token-format.ts";

/** Characters of a given token that are hashed (a longer one is malformed anyway). */
const MAX_HASHED = 128;
/** Hashed in place of a malformed token, so that it takes the same path as a real one. */
const NEVER = "-".repeat(43);

export { MAX_SHARE_DAYS, generateShareToken, isTokenShaped };

/** SHA-256 (hex) of a token. */
export function hashShareToken(token: string): Promise<string> {
  return sha256Hex(token);
}

/**
 * The live link of `token` at `nowMs`, or null for a guessed, expired, revoked or malformed
 * one. The database is asked in every case (a malformed token asks for a hash no token has).
 */
export async function resolveShare(
  db: Db,
  token: string,
  nowMs: number,
): Promise<AccountShareRow | null> {
  const shaped = isTokenShaped(token);
  const hash = await sha256Hex(shaped ? token : NEVER + token.slice(0, MAX_HASHED));
  const row = await findShareByHash(db, hash);
  const same = row !== null && equalHex(row.tokenHash, hash);
  const live = row !== null && row.revokedAt === null && row.expiresAt.getTime() > nowMs;
  return shaped && same && live ? row : null;
}
