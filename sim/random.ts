/**
 * Seeded randomness for the simulator: every random choice (walk steps, event shapes,
 * batching, demo accounts) draws from one of these, so a seed replays the same run.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG, good enough for simulation (not for secrets). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One standard normal draw N(0, 1) (Box-Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log(0) is -Infinity
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Uniform draw in [min, max). */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** Integer draw in [min, max] (both inclusive). */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/**
 * Picks a key with probability proportional to its weight. Non-finite or negative weights
 * count as 0; when every weight is 0 the answer is `undefined`.
 */
export function pickWeighted<K extends string>(
  weights: Readonly<Record<K, number>>,
  rng: Rng,
): K | undefined {
  const entries = (Object.entries(weights) as [K, number][]).map(([k, w]): [K, number] => [
    k,
    Number.isFinite(w) && w > 0 ? w : 0,
  ]);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (total <= 0) return undefined;
  let r = rng() * total;
  for (const [k, w] of entries) {
    if (r < w) return k;
    r -= w;
  }
  return entries.findLast(([, w]) => w > 0)?.[0];
}

/** A UUID-v4-shaped string (8-4-4-4-12 hex) drawn from `rng`, like MTAPI session ids. */
export function uuidLike(rng: Rng): string {
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join("");
  const variant = (8 + Math.floor(rng() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}
