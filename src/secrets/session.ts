/**
 * MTAPI session tokens at rest (docs/security.md, "Secrets at rest"). `accounts.session_id`
 * holds the token sealed (src/secrets/seal.ts), `session_hash` its lookup hash
 * (src/secrets/lookup.ts: the one-active-account-per-token uniqueness and every lookup by
 * token) and `session_mask` the masked form answers and the audit show. A row written before
 * sealing holds its token in clear with no hash: it keeps working (opened as it is) until
 * `npm run secrets:reseal` seals it. Without `SECRETS_KEY` tokens are stored that way too.
 *
 * Opening is cheap on the hot paths: each sealed value is opened once per isolate and kept in
 * memory (a bounded map, never logged); a token this isolate sealed is never opened at all.
 */
import { maskSecret } from "../domain/redact.ts";
import { log } from "../util/log.ts";
import { openCached, openedBefore, rememberOpened, workerSealKeys } from "./keys.ts";
import { lookupHash } from "./lookup.ts";
import { isSealed, seal, type SealKeys } from "./seal.ts";

/** An account's session columns as stored. */
export interface StoredSession {
  /** The token sealed; in clear only without `SECRETS_KEY`. */
  sessionId: string;
  /** Its lookup hash; null when stored in clear. */
  sessionHash: string | null;
  /** What answers show: the first 4 characters, then `...`. */
  sessionMask: string;
}

/** A token as it is stored: sealed, hashed and masked (in clear without `SECRETS_KEY`). */
export async function storedSession(keys: SealKeys | null, token: string): Promise<StoredSession> {
  const sessionMask = maskSecret(token);
  if (!keys?.current) return { sessionId: token, sessionHash: null, sessionMask };
  const [sessionId, sessionHash] = await Promise.all([seal(keys, token), lookupHash(keys, token)]);
  rememberOpened(sessionId, token);
  return { sessionId, sessionHash, sessionMask };
}

/**
 * A stored token in clear: a sealed value opened (once per isolate), a value stored before
 * sealing as it is. Throws {@link SealError} (naming no secret) when it cannot be opened.
 */
export function openSession(keys: SealKeys | null, stored: string): Promise<string> {
  return openCached(keys, stored);
}

/** {@link openSession} with the running Worker's keys (for code without an `env` at hand). */
export async function openSessionInWorker(stored: string): Promise<string> {
  if (!isSealed(stored)) return stored;
  return openedBefore(stored) ?? openCached(await workerSealKeys(), stored);
}

/**
 * Rows with their tokens opened, for the paths that call MTAPI with them. A token that cannot
 * be opened becomes the empty string (logged by account, never the value): MTAPI is not
 * called with it and the account shows `token_invalid` (renewal by stored credentials may
 * still get it a new one), never a reading and never a crash of the sweep.
 */
export async function openSessionRows<T extends { id: number; sessionId: string }>(
  keys: SealKeys | null,
  rows: readonly T[],
): Promise<T[]> {
  return Promise.all(
    rows.map(async (row) => {
      if (!isSealed(row.sessionId)) return row;
      try {
        return { ...row, sessionId: await openSession(keys, row.sessionId) };
      } catch (err) {
        log("secrets:session_unopened", {
          account_id: row.id,
          reason: err instanceof Error ? err.message : "unknown",
        });
        return { ...row, sessionId: "" };
      }
    }),
  );
}

/** The masked token an answer shows, for a row sealed or written before sealing. */
export function sessionMaskOf(row: { sessionId: string; sessionMask: string | null }): string {
  return row.sessionMask ?? (isSealed(row.sessionId) ? "..." : maskSecret(row.sessionId));
}
