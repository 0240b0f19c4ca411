/**
 * The console's session cookie (docs/console.md, "Sign-in"): a signed, opaque value that names the
 * key that signed in (its SHA-256, never the key) and when the session ends. Pure WebCrypto:
 * HMAC-SHA-256 over the payload, checked in constant time by `crypto.subtle.verify`.
 *
 * Value: `base64url(payload) "." base64url(hmac)`, payload
 * `v2.<session id>.<key sha256 hex>.<exp epoch s>`. The session id lets sign-out end the
 * session on the server (docs/security.md); cookies of the older `v1` payload are refused.
 */

/** Name of the cookie. */
export const SESSION_COOKIE = "ds_session";
/** How long a session lasts (s): 12 h. */
export const SESSION_TTL_S = 12 * 60 * 60;

const encoder = new TextEncoder();

/** What a valid cookie says. */
export interface SessionClaims {
  /** The session's id: 16 random bytes, base64url (revoked at sign-out). */
  sid: string;
  /** SHA-256 (lowercase hex) of the API key that signed in. */
  keyHash: string;
  /** When the session ends, epoch seconds. */
  exp: number;
}

/** SHA-256 of `text`, lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when two hex digests are equal, in time independent of where they differ. */
export function equalHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** A fresh session id: 16 random bytes, base64url (22 characters). */
export function newSessionId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** The cookie value for `claims`, signed with `secret`. */
export async function signSession(secret: string, claims: SessionClaims): Promise<string> {
  const payload = encoder.encode(`v2.${claims.sid}.${claims.keyHash}.${claims.exp}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), payload));
  return `${toBase64Url(payload)}.${toBase64Url(mac)}`;
}

/**
 * The claims of a cookie value signed with `secret` that has not expired at `nowMs`, or null
 * (bad shape, bad signature, expired).
 */
export async function verifySession(
  secret: string,
  value: string,
  nowMs: number,
): Promise<SessionClaims | null> {
  const parts = value.split(".");
  if (parts.length !== 2) return null;
  const payload = fromBase64Url(parts[0]!);
  const mac = fromBase64Url(parts[1]!);
  if (!payload || !mac || mac.length !== 32) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, payload);
  if (!ok) return null;
  const match = /^v2\.([A-Za-z0-9_-]{22})\.([0-9a-f]{64})\.([0-9]{1,12})$/.exec(
    new TextDecoder().decode(payload),
  );
  if (!match) return null;
  const exp = Number(match[3]);
  if (exp * 1000 <= nowMs) return null;
  return { sid: match[1]!, keyHash: match[2]!, exp };
}
