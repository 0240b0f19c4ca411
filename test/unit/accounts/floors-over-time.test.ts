import { describe, expect, it } from "vitest";
import { floorsOverTime } from "../../../src/accounts/floors-over-time.ts";
import type { AccountMetrics } from "../../../src/db/metrics.ts";
import { resolveRules } from "../../../src/risk/index.ts";

function rules(preset: string) {
  const r = resolveRules({ preset, initial_balance: 100_000 });
  if (!r.ok) throw new Error("rules");
  return r.rules;
}

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
      rules("the5ers-highstakes"),
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
      rules("topstep-style"),
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
      rules("ftmo-2step"),
      [
        point("2026-11-20T12:00:00Z", 100_000, 100_000),
        point("2026-11-21T12:00:00Z", 100_000, 99_000),
      ],
      metrics,
    );
    expect(out.map((p) => p.daily_floor)).toEqual([95_000, 94_321]);
  });
});
