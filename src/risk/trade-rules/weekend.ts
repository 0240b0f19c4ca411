/**
 * The weekly cutoff instants of `weekend_flat` (docs/trades.md, "Trade rules"): a weekday and
 * wall clock time in an IANA zone, placed on the time line DST-aware (the same placement as
 * the daily reset: a skipped wall time is the instant the clocks jump).
 */
import { boundaryMs, isoDate } from "../trading-day.ts";
import { wallClockMs } from "../time-zone.ts";

const DAY_MS = 86_400_000;
/** The most weekly cutoffs one position is checked against (a position held ~2 years). */
export const MAX_WEEKS = 104;

/** One cutoff: its instant and the local date it falls on. */
export interface Cutoff {
  atMs: number;
  date: string;
}

/**
 * The cutoffs in [fromMs, toMs] (epoch ms), oldest first, at most {@link MAX_WEEKS} (the
 * latest ones). `weekday` 0 = Sunday, `minutes` after local midnight.
 */
export function cutoffsBetween(
  fromMs: number,
  toMs: number,
  weekday: number,
  minutes: number,
  timezone: string,
): Cutoff[] {
  if (!(toMs >= fromMs)) return [];
  // Local date (days since 1970-01-01, a Thursday) of the last matching weekday at or before toMs.
  let localDate = Math.floor(wallClockMs(toMs, timezone) / DAY_MS);
  const dow = (localDate + 4) % 7;
  localDate -= (dow - weekday + 7) % 7;
  const found: Cutoff[] = [];
  for (let week = 0; week < MAX_WEEKS + 1; week += 1) {
    const atMs = boundaryMs(localDate, timezone, minutes);
    if (atMs < fromMs) break;
    if (atMs <= toMs) found.push({ atMs, date: isoDate(localDate) });
    if (found.length >= MAX_WEEKS) break;
    localDate -= 7;
  }
  return found.reverse();
}
