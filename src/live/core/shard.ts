/**
 * Which live-monitor shard watches an account: a stable, pure function of the account id and
 * the shard count. Jump consistent hashing (Lamping & Veach, 2014) moves only ~1/n of the
 * accounts when the count grows from n-1 to n, so a `LIVE_SHARDS` change migrates as few live
 * accounts as possible.
 */

/** The most shards a deployment may ask for (each is one Durable Object, one Events socket). */
export const MAX_SHARDS = 1024;

/**
 * The shard (0 .. shards-1) of an account id; `shards` below 1 counts as 1.
 * Same inputs, same answer, on every isolate and every deploy.
 */
export function shardOf(accountId: number, shards: number): number {
  const n = Math.max(1, Math.min(MAX_SHARDS, Math.floor(shards)));
  if (n === 1) return 0;
  // 64-bit LCG of the jump hash in BigInt: exact, and only run on hand-offs, not per event.
  let key = BigInt.asUintN(64, BigInt(accountId));
  let b = -1n;
  let j = 0n;
  const bound = BigInt(n);
  while (j < bound) {
    b = j;
    key = BigInt.asUintN(64, key * 2862933555777941757n + 1n);
    j = BigInt(Math.floor(((Number(b) + 1) * 2 ** 31) / (Number(key >> 33n) + 1)));
  }
  return Number(b);
}

/** The Durable Object name of shard `i` (shard 0 keeps the name of the former singleton). */
export function shardName(i: number): string {
  return `live-monitor-${i}`;
}

/**
 * The configured shard count from the `LIVE_SHARDS` var: a whole number 1..MAX_SHARDS;
 * missing or invalid means 1.
 */
export function parseShardCount(raw: string | undefined): number {
  const n = Number(raw ?? "1");
  return Number.isInteger(n) && n >= 1 && n <= MAX_SHARDS ? n : 1;
}
