/**
 * Secrets at rest (docs/security.md, "Secrets at rest"): session tokens, credentials and
 * webhook secrets are stored sealed with AES-256-GCM through WebCrypto, so a database dump
 * alone reveals none of them.
 *
 * A sealed value reads `v1.<keyId>.<iv>.<ciphertext>`: `keyId` is the first 8 hex digits of
 * the SHA-256 of the raw key, `iv` the 12 random bytes of this value and `ciphertext` the
 * AES-GCM output (tag included), both base64url without padding. The key comes from the
 * Worker secret `SECRETS_KEY`; values sealed under `SECRETS_KEY_PREVIOUS` are still read, so
 * the key can be rotated and every value re-sealed (`npm run secrets:reseal`).
 *
 * A key is given as 64 hex digits or as base64/base64url of 32 bytes.
 */

/** The prefix of every sealed value (format version 1). */
const PREFIX = "v1";
/** AES-GCM's recommended nonce length, in bytes. */
const IV_BYTES = 12;
/** AES-256: the raw key length, in bytes. */
const KEY_BYTES = 32;

/** One usable key: its id, the imported AES-GCM key and the lookup key derived from it. */
interface SealKey {
  readonly id: string;
  readonly key: CryptoKey;
  /**
   * HMAC-SHA-256 key for lookup hashes (src/secrets/lookup.ts), derived from the same raw
   * key by HKDF-SHA-256 (info {@link LOOKUP_INFO}), so the AES key itself never hashes.
   */
  readonly lookup: CryptoKey;
}

/** HKDF `info` of the lookup key: a new purpose gets a new label, never this one. */
const LOOKUP_INFO = "drawdown-sentinel lookup hash v1";

/** The keys of a deployment: the current one seals, every one unseals. */
export interface SealKeys {
  /** Seals new values; null when `SECRETS_KEY` is unset (then {@link seal} throws). */
  readonly current: SealKey | null;
  /** Every key that may open a value, by key id (the current and the previous one). */
  readonly byId: ReadonlyMap<string, SealKey>;
}

/** A key that cannot be used, or a value that cannot be opened: the message names no secret. */
export class SealError extends Error {
  override name = "SealError";
}

const SEALED = /^v1\.([0-9a-f]{8})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** Whether `value` has the shape of a sealed value (not whether it opens). */
export function isSealed(value: string): boolean {
  return SEALED.test(value);
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The 32 raw bytes of a key written as hex or base64(url); anything else is refused. */
function rawKey(text: string, name: string): Uint8Array<ArrayBuffer> {
  const trimmed = text.trim();
  let bytes: Uint8Array | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    bytes = new Uint8Array(trimmed.match(/../g)!.map((h) => parseInt(h, 16)));
  } else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    try {
      bytes = fromBase64Url(trimmed.replace(/=$/, ""));
    } catch {
      bytes = null;
    }
  }
  if (bytes === null || bytes.length !== KEY_BYTES) {
    throw new SealError(`${name} must be 32 bytes, as 64 hex digits or base64`);
  }
  return new Uint8Array(bytes);
}

async function importKey(text: string, name: string): Promise<SealKey> {
  const raw = rawKey(text, name);
  const id = hex(await crypto.subtle.digest("SHA-256", raw)).slice(0, 8);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const lookup = await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: new TextEncoder().encode(LOOKUP_INFO),
    },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
  return { id, key, lookup };
}

/**
 * The keys from the Worker's secrets. `SECRETS_KEY` seals and opens; `SECRETS_KEY_PREVIOUS`
 * only opens (the key being rotated out). A malformed key throws {@link SealError}.
 */
export async function loadSealKeys(env: {
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}): Promise<SealKeys> {
  const current = env.SECRETS_KEY ? await importKey(env.SECRETS_KEY, "SECRETS_KEY") : null;
  const previous = env.SECRETS_KEY_PREVIOUS
    ? await importKey(env.SECRETS_KEY_PREVIOUS, "SECRETS_KEY_PREVIOUS")
    : null;
  const byId = new Map<string, SealKey>();
  if (previous) byId.set(previous.id, previous);
  if (current) byId.set(current.id, current);
  return { current, byId };
}

/** Seals `plaintext` under the current key: a fresh random IV every call. */
export async function seal(keys: SealKeys, plaintext: string): Promise<string> {
  if (!keys.current) throw new SealError("SECRETS_KEY is not set: cannot seal a secret");
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const data = new TextEncoder().encode(plaintext);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, keys.current.key, data);
  return `${PREFIX}.${keys.current.id}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
}

/**
 * Opens a sealed value with the key it names. A value of another shape, an unknown key id or
 * a value that fails authentication (altered, or sealed under another key) throws
 * {@link SealError}.
 */
export async function unseal(keys: SealKeys, sealed: string): Promise<string> {
  const m = SEALED.exec(sealed);
  if (!m) throw new SealError("not a sealed value");
  const [, id, ivText, ctText] = m;
  const key = keys.byId.get(id!);
  if (!key)
    throw new SealError(
      `sealed under key ${id}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`,
    );
  const iv = fromBase64Url(ivText!);
  if (iv.length !== IV_BYTES) throw new SealError("sealed value has a malformed IV");
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: new Uint8Array(iv) },
      key.key,
      new Uint8Array(fromBase64Url(ctText!)),
    );
    return new TextDecoder().decode(pt);
  } catch {
    throw new SealError(`sealed value does not open under key ${id} (altered or corrupt)`);
  }
}

/** Whether a sealed value should be re-sealed: sealed under a key other than the current one. */
export function needsReseal(keys: SealKeys, value: string): boolean {
  const m = SEALED.exec(value);
  if (!m) return true;
  return keys.current !== null && m[1] !== keys.current.id;
}

/** A new random key as 64 hex digits (dev and tests make their own). */
export function newSealKey(): string {
  return hex(crypto.getRandomValues(new Uint8Array(KEY_BYTES)).buffer);
}
