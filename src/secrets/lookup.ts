/**
 * Lookup hashes (docs/security.md, "Secrets at rest"): a sealed value cannot be compared in
 * SQL (every seal draws a fresh IV), so a value that must be found or kept unique (an MTAPI
 * session token) is stored beside a keyed hash of it: HMAC-SHA-256 under a key derived from
 * `SECRETS_KEY` by HKDF (src/secrets/seal.ts). A dump without the key cannot test a guess.
 *
 * A hash reads `<keyId>.<hmac>` (the id of the key it was made under, the HMAC as base64url),
 * so a key rotation keeps every stored hash usable: a lookup hashes the value under every key
 * it holds (the current one and `SECRETS_KEY_PREVIOUS`) and matches any, and
 * `npm run secrets:reseal` recomputes each hash under the current key with the seal.
 */
import { toBase64Url, type SealKeys } from "./seal.ts";

const HASHED = /^([0-9a-f]{8})\.[A-Za-z0-9_-]{43}$/;

type LookupKey = { readonly id: string; readonly lookup: CryptoKey };

async function hashUnder(key: LookupKey, value: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key.lookup, new TextEncoder().encode(value));
  return `${key.id}.${toBase64Url(new Uint8Array(mac))}`;
}

/** The lookup hash of `value` under the current key; null without `SECRETS_KEY`. */
export async function lookupHash(keys: SealKeys | null, value: string): Promise<string | null> {
  return keys?.current ? hashUnder(keys.current, value) : null;
}

/** The lookup hashes of `value` under every key held (the current one first). */
export async function lookupHashes(keys: SealKeys | null, value: string): Promise<string[]> {
  if (!keys) return [];
  const all = [...keys.byId.values()].sort((a, b) =>
    a === keys.current ? -1 : b === keys.current ? 1 : 0,
  );
  return Promise.all(all.map((k) => hashUnder(k, value)));
}

/** Whether a stored hash was made under a key other than the current one (or is malformed). */
export function needsRehash(keys: SealKeys, hash: string | null): boolean {
  if (hash === null) return true;
  const m = HASHED.exec(hash);
  return !m || (keys.current !== null && m[1] !== keys.current.id);
}
