/**
 * The retry schedule of docs/alerts.md, "Delivery": after a failed attempt wait 5 s, 30 s,
 * 2 min, 10 min, 1 h, then every 3 h; give up once the next attempt would fall more than 24 h
 * after the first; disable an endpoint that has been failing for 3 days in a row. Pure.
 */

/** Waits after the 1st, 2nd, ... failed attempt, in seconds; then {@link LATER_S}. */
export const RETRY_DELAYS_S = [5, 30, 120, 600, 3600] as const;
/** Wait between attempts after the first five retries, seconds (3 h). */
export const LATER_S = 3 * 3600;
/** How long a message is retried, ms (24 h). */
export const RETRY_WINDOW_MS = 24 * 3600_000;
/** An endpoint failing this long (ms) is disabled (3 days). */
export const DISABLE_AFTER_MS = 3 * 24 * 3600_000;
/** An attempt not answered with a 2xx within this time (ms) has failed. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** What follows a failed attempt. */
export type AfterFailure = { retry: true; delayS: number; at: number } | { retry: false };

/**
 * What to do after failed attempt number `attempts` (1-based) of a message first attempted at
 * `firstAt` (epoch ms), at `now` (epoch ms).
 */
export function afterFailure(attempts: number, firstAt: number, now: number): AfterFailure {
  const delayS = RETRY_DELAYS_S[attempts - 1] ?? LATER_S;
  const at = now + delayS * 1000;
  if (at > firstAt + RETRY_WINDOW_MS) return { retry: false };
  return { retry: true, delayS, at };
}

/** True when an endpoint failing since `failingSince` (epoch ms, or null) is to be disabled. */
export function shouldDisable(failingSince: number | null, now: number): boolean {
  return failingSince !== null && now - failingSince >= DISABLE_AFTER_MS;
}
