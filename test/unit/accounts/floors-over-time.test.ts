import { describe, expect, it } from "vitest";
import { floorsOverTime } from "../../../src/domain/floors-over-time.ts";
import type { AccountMetrics } from "../../../src/domain/metrics.ts";
import { presetRules } from "../fixtures.ts";

const point = (iso: string, balance: number, equity: number) => ({
  at: new Date(iso),
  balance,
  equity,
  usage: 0,
});

describe("floors over time", () => {
  it("moves the daily floor with each trading day's starting balance", () => {
    // the5ers: 5% of the day's start (max of balance, equity), reset 17:00 New York (22:00Z).
    const out = floorsOverTime(
      presetRules("the5ers-highstakes"),
      [
        point("2026-11-20T12:00:00Z", 100_000, 100_000),
        point("2026-11-20T20:00:00Z", 102_000, 101_000),
        point("2026-11-21T12:00:00Z", 102_000, 101_500),
      ],
      null,
    );
    expect(out.map((p) => p.daily_floor)).toEqual([95_000, 95_000, 96_900]);
    expect(out.map((p) => p.max_floor)).toEqual([90_000, 90_000, 90_000]);
  });

  it("raises a trailing max floor with the end-of-day balance", () => {
    // topstep-style: 4% eod_trailing, locked at the initial balance; reset 17:00 Chicago (23:00Z).
    const out = floorsOverTime(
      presetRules("topstep-style"),
      [
        point("2026-11-20T12:00:00Z", 100_000, 100_000),
        point("2026-11-20T20:00:00Z", 103_000, 103_000),
        point("2026-11-21T12:00:00Z", 103_000, 102_000),
      ],
      null,
    );
    expect(out.map((p) => p.max_floor)).toEqual([96_000, 96_000, 99_000]);
  });

  it("takes the current day's daily floor from the account's own figures", () => {
    const metrics = { trading_day: "2026-11-21", daily_floor: 94_321 } as AccountMetrics;
    const out = floorsOverTime(
      presetRules("ftmo-2step"),
      [
        point("2026-11-20T12:00:00Z", 100_000, 100_000),
        point("2026-11-21T12:00:00Z", 100_000, 99_000),
      ],
      metrics,
    );
    expect(out.map((p) => p.daily_floor)).toEqual([95_000, 94_321]);
  });
});

describe("floors over time, with what came before the window", () => {
  it("starts a trailing max floor at the high-water mark reached before the window", () => {
    // topstep-style: 4% eod_trailing, locked at the initial balance; reset 17:00 Chicago (23:00Z).
    const window = [point("2026-11-20T12:00:00Z", 101_000, 101_000)];
    const before = [
      point("2026-11-17T12:00:00Z", 100_000, 100_000),
      point("2026-11-18T20:00:00Z", 102_500, 102_500),
    ];
    expect(floorsOverTime(presetRules("topstep-style"), window, null)[0]!.max_floor).toBe(96_000);
    const out = floorsOverTime(presetRules("topstep-style"), window, null, {
      before,
      adjustments: [],
    });
    // The 18th closed at 102,500: the mark is 102,500, the floor 98,500 (below the lock).
    expect(out[0]!.max_floor).toBe(98_500);
  });

  it("ignores history readings at or after the window's first point", () => {
    const window = [point("2026-11-20T12:00:00Z", 100_000, 100_000)];
    const before = [point("2026-11-21T12:00:00Z", 110_000, 110_000)];
    const out = floorsOverTime(presetRules("topstep-style"), window, null, {
      before,
      adjustments: [],
    });
    expect(out[0]!.max_floor).toBe(96_000);
  });

  it("moves both floors with a deposit made inside the window, from the next reading on", () => {
    // ftmo-2step: daily 5% and max 10% of the initial balance, static.
    const out = floorsOverTime(
      presetRules("ftmo-2step"),
      [
        point("2026-11-20T10:00:00Z", 100_000, 100_000),
        point("2026-11-20T12:00:00Z", 110_000, 110_000),
      ],
      null,
      {
        before: [],
        adjustments: [{ id: 1, amount: 10_000, at: new Date("2026-11-20T11:00:00Z") }],
      },
    );
    expect(out.map((p) => p.daily_floor)).toEqual([95_000, 105_000]);
    expect(out.map((p) => p.max_floor)).toEqual([90_000, 100_000]);
  });

  it("takes an adjustment made before the first reading known as already in its figures", () => {
    const out = floorsOverTime(
      presetRules("ftmo-2step"),
      [point("2026-11-20T12:00:00Z", 95_000, 95_000)],
      null,
      {
        before: [],
        adjustments: [{ id: 1, amount: -5_000, at: new Date("2026-11-19T12:00:00Z") }],
      },
    );
    // A 5,000 withdrawal: the max floor is 95,000 - 10,000, not 100,000 - 10,000.
    expect(out[0]!.max_floor).toBe(85_000);
    expect(out[0]!.daily_floor).toBe(90_000);
  });

  it("applies an adjustment between older readings once, in time order", () => {
    // topstep-style: the mark of 102,500 drops with a 2,000 withdrawal made after it.
    const window = [point("2026-11-20T12:00:00Z", 100_000, 100_000)];
    const before = [
      point("2026-11-17T12:00:00Z", 100_000, 100_000),
      point("2026-11-18T20:00:00Z", 102_500, 102_500),
      point("2026-11-19T20:00:00Z", 100_500, 100_500),
    ];
    const adjustments = [{ id: 7, amount: -2_000, at: new Date("2026-11-19T12:00:00Z") }];
    const out = floorsOverTime(presetRules("topstep-style"), window, null, { before, adjustments });
    expect(out[0]!.max_floor).toBe(96_500);
  });
});
