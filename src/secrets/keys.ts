/**
 * The deployment's sealing keys, loaded once per isolate (docs/security.md, "Secrets at
 * rest"), and opening a stored value that may predate sealing.
 */
import { isSealed, loadSealKeys, seal, SealError, unseal, type SealKeys } from "./seal.ts";

let cached: { from: string; keys: Promise<SealKeys> } | null = null;

/** The keys of `env` (`SECRETS_KEY`, `SECRETS_KEY_PREVIOUS`), imported once per isolate. */
export function sealKeysOf(env: {
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}): Promise<SealKeys> {
  const from = `${env.SECRETS_KEY ?? ""}\u0000${env.SECRETS_KEY_PREVIOUS ?? ""}`;
  if (cached?.from !== from) cached = { from, keys: loadSealKeys(env) };
  return cached.keys;
}

/** A variable, so that neither bundlers nor the Node type check resolve it statically. */
const WORKERS_MODULE = "cloudflare:workers";

/** The running Worker's keys (for code without an `env` at hand). */
export async function workerSealKeys(): Promise<SealKeys> {
  const mod = (await import(/* @vite-ignore */ WORKERS_MODULE)) as {
    env?: { SECRETS_KEY?: string; SECRETS_KEY_PREVIOUS?: string };
  };
  return sealKeysOf(mod.env ?? {});
}

/**
 * A stored secret in clear: a sealed value opened, a value stored before sealing (not yet
 * re-sealed by `npm run secrets:reseal`) as it is.
 */
export async function openStored(keys: SealKeys, stored: string): Promise<string> {
  return isSealed(stored) ? unseal(keys, stored) : stored;
}

/** Opened values by sealed value; the oldest go first past {@link CACHE_MAX}. */
const opened = new Map<string, string>();
/** Entries kept (a live token or a URL each, ~100 bytes: 20k stay well under a few MiB). */
const CACHE_MAX = 20_000;

/** Remembers what a sealed value opens to (a value this isolate sealed need never be opened). */
export function rememberOpened(sealed: string, plaintext: string): void {
  if (opened.size >= CACHE_MAX) opened.delete(opened.keys().next().value!);
  opened.set(sealed, plaintext);
}

/** What a sealed value opened to in this isolate before, if it did. */
export function openedBefore(sealed: string): string | undefined {
  return opened.get(sealed);
}

/**
 * {@link openStored} for the hot paths (a session token per MTAPI call, a webhook URL per
 * delivery): each sealed value is opened once per isolate and kept in memory, never logged.
 * Throws {@link SealError} (naming no secret) when it cannot be opened.
 */
export async function openCached(keys: SealKeys | null, stored: string): Promise<string> {
  if (!isSealed(stored)) return stored;
  const hit = opened.get(stored);
  if (hit !== undefined) return hit;
  if (!keys) throw new SealError("a sealed value needs SECRETS_KEY to open");
  const plaintext = await unseal(keys, stored);
  rememberOpened(stored, plaintext);
  return plaintext;
}

/** A secret as it is stored: sealed under the current key. */
export function sealForStorage(keys: SealKeys, plaintext: string): Promise<string> {
  return seal(keys, plaintext);
}
