/**
 * Secrets at rest (docs/mtapi-bridge.md, "Credentials"): AES-256-GCM through WebCrypto. The key
 * is the Worker secret `SECRETS_KEY`; `SECRETS_KEY_PREVIOUS` is still read, so the key can be
 * rotated. Each sealed value names the key that sealed it:
 * `v1.<keyId>.<iv b64url>.<ciphertext b64url>`.
 *
 * Written to the API agreed with the "trust" work; the lead reconciles the two.
 */

/** The keys a deployment seals with (current) and still opens (current and previous). */
export interface SealKeys {
  current: { id: string; key: CryptoKey };
  previous?: { id: string; key: CryptoKey } | undefined;
}

const VERSION = "v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A key from its secret text: SHA-256 of it is the AES key; its id, 8 hex of another hash. */
async function keyOf(secret: string): Promise<{ id: string; key: CryptoKey }> {
  const raw = await crypto.subtle.digest("SHA-256", encoder.encode(secret));
  const idHash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(`id:${secret}`)),
  );
  const id = [...idHash.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
  return { id, key };
}

/** The deployment's keys; throws when `SECRETS_KEY` is unset or too short (16 characters). */
export async function loadSealKeys(env: {
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}): Promise<SealKeys> {
  const secret = env.SECRETS_KEY;
  if (!secret || secret.length < 16) throw new Error("SECRETS_KEY is not set (16+ characters)");
  const current = await keyOf(secret);
  const prev = env.SECRETS_KEY_PREVIOUS;
  const previous = prev && prev.length >= 16 && prev !== secret ? await keyOf(prev) : undefined;
  return { current, previous };
}

/** Seals `plaintext` under the current key. */
export async function seal(keys: SealKeys, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(`${VERSION}.${keys.current.id}`) },
      keys.current.key,
      encoder.encode(plaintext),
    ),
  );
  return `${VERSION}.${keys.current.id}.${b64url(iv)}.${b64url(ct)}`;
}

/** Opens a sealed value with the key it names (current or previous); throws otherwise. */
export async function unseal(keys: SealKeys, sealed: string): Promise<string> {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new Error("not a sealed value");
  const [, id, iv, ct] = parts as [string, string, string, string];
  const k = [keys.current, keys.previous].find((x) => x?.id === id);
  if (!k) throw new Error(`sealed under an unknown key ${id}`);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromB64url(iv), additionalData: encoder.encode(`${VERSION}.${id}`) },
    k.key,
    fromB64url(ct),
  );
  return decoder.decode(plain);
}

/** True when the value has the sealed format (it may still not open). */
export function isSealed(value: string): boolean {
  return /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}
