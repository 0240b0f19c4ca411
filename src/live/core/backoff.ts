/**
 * Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff
 * and Jitter"): the delay is uniform in [0, min(cap, base * 2^n)], so a fleet of clients
 * that lost the same server does not come back in step.
 *
 * With `firstAtOnce` the first retry (attempt 0) waits for nothing and the jitter starts with
 * the second (attempt 1 draws in [0, base], attempt 2 in [0, 2 base], ...). The live monitor
 * uses it (docs/benchmarks/2026-12-06-hot-path.md, "Reconnecting after a drop"): a link that was up and
 * dropped is most often back at once (a deploy of the Events service, a proxy's idle cut),
 * and every account of the shard is unwatched by events until it is; a wait of up to 500 ms
 * before the first attempt was most of the time to resubscribe 100,000 accounts. The herd
 * this could make is small and bounded: one socket per shard (8 for 100,000 accounts, not one
 * per account) makes one immediate attempt per drop of a healthy link (the attempt count
 * resets only after 5 s up, connection.ts), and if that attempt fails the retries are
 * jittered as before, so a server that is really down sees the shards spread out from the
 * second attempt on.
 */
export interface BackoffPolicy {
  /** First ceiling (ms). */
  baseMs: number;
  /** Largest ceiling (ms). */
  capMs: number;
  /** The first retry goes at once; the jitter starts with the second. */
  firstAtOnce?: boolean;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000, firstAtOnce: true };

/**
 * The delay before retry number `attempt` (0 for the first retry), in ms.
 * @param random a source in [0, 1); injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  let n = attempt;
  if (policy.firstAtOnce) {
    if (attempt <= 0) return 0;
    n = attempt - 1;
  }
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n, 30));
  return Math.floor(random() * exp);
}
