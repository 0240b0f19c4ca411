/**
 * Reading times (docs/rules.md, "Reading times"): numeric timestamps read by their
 * magnitude, and the window a reading must fall in to be applied. Shared by the risk engine
 * and the Events frame parser, so both judge a time alike.
 */

/** Below this a number is seconds since the epoch (1e11 s is the year 5138). */
const SECONDS_BELOW = 1e11;
/** Below this, milliseconds (1e14 ms is the year 5138). */
const MILLIS_BELOW = 1e14;
/** Below this, microseconds; at or above it, nanoseconds. */
const MICROS_BELOW = 1e17;

/** A reading more than this far ahead of the monitor's clock is not applied (ms). */
export const MAX_AHEAD_MS = 5 * 60_000;
/** A reading more than this far behind the monitor's clock is not applied (ms). */
export const MAX_BEHIND_MS = 24 * 3_600_000;

/**
 * Epoch milliseconds of a numeric timestamp in seconds, milliseconds, microseconds or
 * nanoseconds, told apart by magnitude: |n| < 1e11 seconds, < 1e14 ms, < 1e17 us, else ns.
 * A non-finite input comes back unchanged (NaN stays NaN), so callers can reject it.
 */
export function toEpochMs(n: number): number {
  if (!Number.isFinite(n)) return n;
  const magnitude = Math.abs(n);
  if (magnitude < SECONDS_BELOW) return n * 1000;
  if (magnitude < MILLIS_BELOW) return n;
  if (magnitude < MICROS_BELOW) return n / 1000;
  return n / 1_000_000;
}

/**
 * Whether a reading stamped `atMs` may be applied by a monitor whose clock reads `nowMs`:
 * `future` when more than 5 minutes ahead, `too_old` when more than 24 hours behind, else
 * `ok` (both bounds inclusive of `ok`). A non-finite time is `too_old`.
 */
export function readingTimeVerdict(atMs: number, nowMs: number): "ok" | "future" | "too_old" {
  if (atMs > nowMs + MAX_AHEAD_MS) return "future";
  if (atMs >= nowMs - MAX_BEHIND_MS) return "ok";
  return "too_old";
}
