/**
 * Version 2 trading days: resets at a minute of the hour (`daily_reset.minute`), in zones
 * with DST and with 30- and 45-minute offsets, and days named by their closing date.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tradingDayAt } from "../../../src/risk/index.ts";
import { local, nextDate } from "../fixtures.ts";

const FROM = Date.parse("2026-01-01T00:00:00Z");
const TO = Date.parse("2031-01-01T00:00:00Z");

/** Reset times that land on DST jumps (skipped or doubled wall times) and on odd offsets. */
const RESETS = [
  { timezone: "Asia/Kathmandu", hour: 0, minute: 15 }, // UTC+5:45, no DST
  { timezone: "Asia/Kathmandu", hour: 17, minute: 45 },
  { timezone: "UTC", hour: 0, minute: 30 }, // balance-trailing-style
  { timezone: "Europe/Prague", hour: 2, minute: 30 }, // skipped in March, doubled in October
  { timezone: "America/New_York", hour: 1, minute: 30 }, // doubled in November
  { timezone: "America/Chicago", hour: 17, minute: 15 },
  { timezone: "Europe/Athens", hour: 3, minute: 45 }, // skipped in March
  { timezone: "Australia/Lord_Howe", hour: 2, minute: 15 }, // a 30-minute DST jump skips it
];

describe("tradingDayAt with minute resets across 2026-2030", () => {
  it.each(RESETS)(
    "chains every trading day of $timezone $hour:$minute with each boundary exact to the ms",
    ({ timezone, hour, minute }) => {
      const reset = hour * 60 + minute;
      let day = tradingDayAt(FROM, timezone, hour, minute);
      let days = 0;
      while (day.startMs < TO) {
        const at = local(day.startMs, timezone);
        expect(at.date).toBe(day.day);
        if (at.minutes !== reset) {
          // Skipped wall time: the boundary is the instant the clocks jumped past it.
          expect(at.minutes).toBeGreaterThan(reset);
          const before = local(day.startMs - 1, timezone);
          expect(before.date < day.day || before.minutes < reset).toBe(true);
        }
        // +-1 ms: the boundary instant opens this day, the ms before it is the previous day.
        expect(tradingDayAt(day.startMs, timezone, hour, minute)).toEqual(day);
        expect(tradingDayAt(day.startMs - 1, timezone, hour, minute).endMs).toBe(day.startMs);
        expect(tradingDayAt(day.endMs - 1, timezone, hour, minute)).toEqual(day);
        const next = tradingDayAt(day.endMs, timezone, hour, minute);
        expect(next.startMs).toBe(day.endMs);
        expect(next.day).toBe(nextDate(day.day));
        day = next;
        days++;
      }
      // Five years of days (2028 is a leap year), plus the one open at the start.
      expect(days).toBeGreaterThanOrEqual(1826);
      expect(days).toBeLessThanOrEqual(1827);
    },
  );

  it("puts the Kathmandu boundary 5 h 45 min before the reset in UTC", () => {
    const day = tradingDayAt(Date.parse("2026-11-26T12:00:00Z"), "Asia/Kathmandu", 0, 15);
    expect(day.day).toBe("2026-11-26");
    expect(new Date(day.startMs).toISOString()).toBe("2026-11-25T18:30:00.000Z");
    expect(day.endMs - day.startMs).toBe(86_400_000);
  });

  it("opens a 00:30 UTC day at 00:30 and leaves 00:29:59.999 in the day before", () => {
    const boundary = Date.parse("2026-11-26T00:30:00Z");
    expect(tradingDayAt(boundary, "UTC", 0, 30).day).toBe("2026-11-26");
    expect(tradingDayAt(boundary - 1, "UTC", 0, 30).day).toBe("2026-11-25");
  });
});

describe("close_date labels", () => {
  it("names a 17:00 Chicago day by its closing date: the open date plus one trading day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FROM, max: TO }),
        fc.constantFrom("America/Chicago", "America/New_York", "Asia/Kathmandu", "Europe/Prague"),
        fc.integer({ min: 0, max: 59 }),
        (atMs, timezone, minute) => {
          const open = tradingDayAt(atMs, timezone, 17, minute, "open_date");
          const close = tradingDayAt(atMs, timezone, 17, minute, "close_date");
          expect(close.startMs).toBe(open.startMs);
          expect(close.endMs).toBe(open.endMs);
          expect(close.day).toBe(nextDate(open.day));
          expect(local(close.endMs - 1, timezone).date).toBe(close.day);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names a midnight day by its own date under close_date (its last instant is that day)", () => {
    const day = tradingDayAt(Date.parse("2026-11-26T12:00:00Z"), "UTC", 0, 0, "close_date");
    expect(day.day).toBe("2026-11-26");
  });

  it("names the Sunday-evening futures session by Monday", () => {
    // 2026-11-29 is a Sunday; 17:00 Chicago (CST) is 23:00Z.
    const day = tradingDayAt(
      Date.parse("2026-11-29T23:30:00Z"),
      "America/Chicago",
      17,
      0,
      "close_date",
    );
    expect(day.day).toBe("2026-11-30");
  });
});
