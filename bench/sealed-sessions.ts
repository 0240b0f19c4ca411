/**
 * What sealing session tokens at rest costs on the hot paths (docs/security.md, "Secrets at
 * rest"), in Node's WebCrypto (workerd's is the same BoringSSL-backed API; figures indicative):
 * - storing a token: seal (AES-256-GCM) + lookup hash (HMAC-SHA-256), per token;
 * - opening a stored token cold (first use in an isolate) and warm (the in-memory cache);
 * - a sweep batch of 1,000 rows opened cold and warm (`openSessionRows`);
 * - the lookup hashes of one token under two keys (a duplicate check during a rotation).
 *
 *   npx node bench/sealed-sessions.ts [tokens]
 */
import { lookupHashes } from "../src/secrets/lookup.ts";
import { loadSealKeys, newSealKey, seal } from "../src/secrets/seal.ts";
import { openSession, openSessionRows, storedSession } from "../src/secrets/session.ts";

const N = Number(process.argv[2] ?? 10_000);
const keys = await loadSealKeys({ SECRETS_KEY: newSealKey(), SECRETS_KEY_PREVIOUS: newSealKey() });
const tokens = Array.from({ length: N }, () => crypto.randomUUID());

async function timed(label: string, count: number, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  console.log(
    `${label.padEnd(44)} ${count.toString().padStart(6)} ops  ${ms.toFixed(1).padStart(8)} ms  ${((ms * 1000) / count).toFixed(1).padStart(7)} µs/op`,
  );
}

// Sealed without the cache (as another isolate wrote them): the cold opens are real opens.
const sealed = await Promise.all(tokens.map((t) => seal(keys, t)));
await timed("store (seal + lookup hash)", N, async () => {
  for (const t of tokens) await storedSession(keys, t);
});
await timed("open, cold (unseal)", N, async () => {
  for (const s of sealed) await openSession(keys, s);
});
await timed("open, warm (in-memory cache)", N, async () => {
  for (const s of sealed) await openSession(keys, s);
});
const batch = Array.from({ length: 1_000 }, (_, i) => ({ id: i, sessionId: "" }));
const coldRows = await Promise.all(
  batch.map(async (r) => ({ ...r, sessionId: await seal(keys, crypto.randomUUID()) })),
);
await timed("sweep batch of 1,000 rows, cold", 1_000, () => openSessionRows(keys, coldRows));
await timed("sweep batch of 1,000 rows, warm", 1_000, () => openSessionRows(keys, coldRows));
await timed("lookup hashes under 2 keys", N, async () => {
  for (const t of tokens) await lookupHashes(keys, t);
});
