/**
 * Trading days: the span between two daily reset boundaries, named by the local date of the
 * boundary that opened it (`open_date`) or of the day's last instant (`close_date`: a day
 * opened at 17:00 is named by the next date). A boundary is the first instant whose wall
 * clock in the zone is at or after `hour:minute` on that date, so it follows DST: on a
 * spring-forward day where `hour:minute` does not exist it is the instant the clocks jump
 * (the first instant after), and on a fall-back day where it happens twice it is the first.
 *
 * Only day roll-overs call this; the per-reading path compares cached epoch ms.
 */
import { wallClockMs } from "./time-zone.ts";

import type { DayLabel } from "./params.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One trading day in a zone. */
export interface TradingDay {
  /** `YYYY-MM-DD`: the local date of the boundary that opened the day (or of its last instant, `close_date`). */
  day: string;
  /** Epoch ms of the opening boundary (inclusive). */
  startMs: number;
  /** Epoch ms of the next boundary (exclusive), the start of the next trading day. */
  endMs: number;
}

// Boundaries are asked for in bursts (every account of a zone rolls at the same instant), so
// they are remembered. Keyed by zone, hour and local date as days since 1970-01-01.
const BOUNDARY_CACHE_LIMIT = 4096;
const boundaryCache = new Map<string, number>();

/**
 * The trading day that contains instant `atMs` for a reset at `hour:minute` (0-23, 0-59)
 * local time in `timezone` (IANA), named per `label`. Throws RangeError for an unknown zone.
 */
export function tradingDayAt(
  atMs: number,
  timezone: string,
  hour: number,
  minute = 0,
  label: DayLabel = "open_date",
): TradingDay {
  const resetMinutes = hour * 60 + minute;
  let localDate = Math.floor(wallClockMs(atMs, timezone) / DAY_MS);
  let startMs = boundaryMs(localDate, timezone, resetMinutes);
  // Before today's boundary the instant belongs to the trading day opened yesterday. The
  // loops (rather than a single step) also cover zones whose clocks once skipped a whole date.
  while (atMs < startMs) {
    localDate -= 1;
    startMs = boundaryMs(localDate, timezone, resetMinutes);
  }
  let endMs = boundaryMs(localDate + 1, timezone, resetMinutes);
  while (atMs >= endMs) {
    localDate += 1;
    startMs = endMs;
    endMs = boundaryMs(localDate + 1, timezone, resetMinutes);
  }
  // A day that opens after local midnight ends on the next date; one opening at 00:00 ends
  // (its last instant) on its own date.
  const named = label === "close_date" && resetMinutes > 0 ? localDate + 1 : localDate;
  return { day: isoDate(named), startMs, endMs };
}

/**
 * Epoch ms of the boundary that opens local date `localDate` (days since 1970-01-01):
 * the first instant at or after `resetMinutes` (minutes after local midnight) that day.
 */
export function boundaryMs(localDate: number, timezone: string, resetMinutes: number): number {
  const key = `${timezone}|${resetMinutes}|${localDate}`;
  const cached = boundaryCache.get(key);
  if (cached !== undefined) return cached;
  const result = computeBoundary(localDate * DAY_MS + resetMinutes * MINUTE_MS, timezone);
  if (boundaryCache.size >= BOUNDARY_CACHE_LIMIT) boundaryCache.clear();
  boundaryCache.set(key, result);
  return result;
}

/** `YYYY-MM-DD` of a date given as days since 1970-01-01. */
export function isoDate(localDate: number): string {
  return new Date(localDate * DAY_MS).toISOString().slice(0, 10);
}

/** The first instant whose wall clock in `timezone` is at or after `wall` (wall clock as UTC ms). */
function computeBoundary(wall: number, timezone: string): number {
  // The UTC offsets a day either side: any transition near `wall` lies between them.
  const offsetBefore = wallClockMs(wall - DAY_MS, timezone) - (wall - DAY_MS);
  const offsetAfter = wallClockMs(wall + DAY_MS, timezone) - (wall + DAY_MS);
  const early = wall - Math.max(offsetBefore, offsetAfter);
  const late = wall - Math.min(offsetBefore, offsetAfter);
  // A wall time that happens twice (fall back) maps to both; the first one counts.
  if (wallClockMs(early, timezone) === wall) return early;
  if (wallClockMs(late, timezone) === wall) return late;
  // The wall time was skipped (spring forward). The first instant after it is the
  // transition itself, which lies between the two candidates: bisect to the millisecond.
  let before = early;
  let after = late;
  if (wallClockMs(before, timezone) >= wall || wallClockMs(after, timezone) < wall) {
    throw new RangeError(`cannot place ${new Date(wall).toISOString()} wall time in ${timezone}`);
  }
  while (after - before > 1) {
    const mid = Math.floor((before + after) / 2);
    if (wallClockMs(mid, timezone) >= wall) after = mid;
    else before = mid;
  }
  return after;
}
