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

/** A token's shape: 43 base64url characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Characters of a given token that are hashed (a longer one is malformed anyway). */
const MAX_HASHED = 128;
/** Hashed in place of a malformed token, so that it takes the same path as a real one. */
const NEVER = "-".repeat(43);

/** Longest lifetime of a link, in days. */
export const MAX_SHARE_DAYS = 90;

/** A new random token. */
export function generateShareToken(
  random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const bytes = random(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** True when `token` has a token's shape. */
export function isTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

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
