/**
 * The deployment's sealing keys, loaded once per isolate (docs/security.md, "Secrets at
 * rest"), and opening a stored value that may predate sealing.
 */
import { isSealed, loadSealKeys, seal, unseal, type SealKeys } from "./seal.ts";

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

/** A secret as it is stored: sealed under the current key. */
export function sealForStorage(keys: SealKeys, plaintext: string): Promise<string> {
  return seal(keys, plaintext);
}
