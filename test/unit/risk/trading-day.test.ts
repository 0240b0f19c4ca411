import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PRESETS, PRESET_NAMES_V1, tradingDayAt } from "../../../src/risk/index.ts";
import { local, nextDate } from "../fixtures.ts";

const HOUR_MS = 3_600_000;
const FROM = Date.parse("2026-01-01T00:00:00Z");
const TO = Date.parse("2031-01-01T00:00:00Z");

/** The boundary is at `hour:00` local, or, when that hour was skipped, the instant the clocks jumped past it. */
function expectBoundary(startMs: number, day: string, timezone: string, hour: number): void {
  const at = local(startMs, timezone);
  expect(at.date).toBe(day);
  if (at.minutes !== hour * 60) {
    expect(at.minutes).toBeGreaterThan(hour * 60);
    const justBefore = local(startMs - 1, timezone);
    expect(justBefore.date < day || justBefore.minutes < hour * 60).toBe(true);
  }
}

const presetZones = PRESET_NAMES_V1.map((name) => ({
  name,
  timezone: PRESETS[name].daily_reset.timezone,
  hour: PRESETS[name].daily_reset.hour,
}));

describe("tradingDayAt across the DST changes of 2026-2030", () => {
  it.each(presetZones)(
    "chains every trading day of $name ($timezone, $hour h) with boundaries at the reset hour",
    ({ timezone, hour }) => {
      const lengths = new Map<number, number>();
      let day = tradingDayAt(FROM, timezone, hour);
      while (day.startMs < TO) {
        expectBoundary(day.startMs, day.day, timezone, hour);
        expect(local(day.startMs, timezone).minutes).toBe(hour * 60);
        expect(tradingDayAt(day.startMs, timezone, hour)).toEqual(day);
        expect(tradingDayAt(day.endMs - 1, timezone, hour)).toEqual(day);
        const hours = (day.endMs - day.startMs) / HOUR_MS;
        lengths.set(hours, (lengths.get(hours) ?? 0) + 1);
        const next = tradingDayAt(day.endMs, timezone, hour);
        expect(next.startMs).toBe(day.endMs);
        expect(next.day).toBe(nextDate(day.day));
        day = next;
      }
      // One spring-forward and one fall-back day in each of the five years.
      expect([...lengths.keys()].sort()).toEqual([23, 24, 25]);
      expect(lengths.get(23)).toBe(5);
      expect(lengths.get(25)).toBe(5);
    },
  );

  const zones = [
    ...new Set(presetZones.map((z) => z.timezone)),
    "UTC",
    "Asia/Kolkata",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Havana",
  ];

  it("puts any instant in the trading day whose boundaries enclose it, for any zone and hour", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FROM, max: TO }),
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 23 }),
        (atMs, timezone, hour) => {
          const day = tradingDayAt(atMs, timezone, hour);
          expect(day.startMs).toBeLessThanOrEqual(atMs);
          expect(atMs).toBeLessThan(day.endMs);
          expect((day.endMs - day.startMs) / HOUR_MS).toBeGreaterThanOrEqual(23);
          expect((day.endMs - day.startMs) / HOUR_MS).toBeLessThanOrEqual(25);
          expectBoundary(day.startMs, day.day, timezone, hour);
          expect(tradingDayAt(day.startMs, timezone, hour)).toEqual(day);
          const next = tradingDayAt(day.endMs, timezone, hour);
          expect(next.startMs).toBe(day.endMs);
          expect(next.day).toBe(nextDate(day.day));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("opens a day whose reset hour is skipped at the instant the clocks spring forward", () => {
    // New York jumps from 02:00 EST to 03:00 EDT at 2026-03-08T07:00:00Z.
    const day = tradingDayAt(Date.parse("2026-03-08T12:00:00Z"), "America/New_York", 2);
    expect(day.day).toBe("2026-03-08");
    expect(new Date(day.startMs).toISOString()).toBe("2026-03-08T07:00:00.000Z");
    expect(new Date(day.endMs).toISOString()).toBe("2026-03-09T06:00:00.000Z");
  });

  it("opens a day whose reset hour happens twice at the first of the two", () => {
    // New York 01:00 happens at 05:00Z (EDT) and again at 06:00Z (EST) on 2026-11-01.
    const day = tradingDayAt(Date.parse("2026-11-01T05:30:00Z"), "America/New_York", 1);
    expect(day.day).toBe("2026-11-01");
    expect(new Date(day.startMs).toISOString()).toBe("2026-11-01T05:00:00.000Z");
    expect((day.endMs - day.startMs) / HOUR_MS).toBe(25);
  });

  it("names the day by the local date of its boundary, not of the instant (17:00 reset)", () => {
    // 2026-11-26 18:00 in New York is after the 17:00 boundary: the trading day of 2026-11-26
    // runs until 17:00 on the 27th.
    const evening = tradingDayAt(Date.parse("2026-11-26T23:00:00Z"), "America/New_York", 17);
    expect(evening.day).toBe("2026-11-26");
    const nextMorning = tradingDayAt(Date.parse("2026-11-27T14:00:00Z"), "America/New_York", 17);
    expect(nextMorning).toEqual(evening);
  });

  it("throws a RangeError for an unknown zone", () => {
    expect(() => tradingDayAt(FROM, "Mars/Olympus_Mons", 0)).toThrow(RangeError);
  });
});
