/**
 * Trading days counted from trades (docs/trades.md, "Trading days"): the days on which a
 * position opened or closed, in the firm's trading-day zone, each once, per reset epoch.
 */
import { describe, expect, it } from "vitest";
import { tradeDayLabels, tradeDaysIn } from "../../../src/risk/index.ts";
import { objectivesOf } from "../../../src/risk/objectives.ts";
import { resolveRules } from "../../../src/risk/index.ts";

const utc = (s: string) => Date.parse(`${s}Z`);

describe("tradeDayLabels", () => {
  it("names each instant by the trading day of the firm's reset, DST-aware, each day once", () => {
    // New York 17:00 resets: 22:00 UTC in winter, 21:00 UTC in summer (open_date labels).
    const reset = { daily_reset: { timezone: "America/New_York", hour: 17 } };
    const labels = tradeDayLabels(
      [
        utc("2026-12-03T22:30:00"), // after Thursday's 17:00 in New York: the day opened Dec 3
        utc("2026-12-04T21:59:59"), // before Friday's 17:00: still the day opened Dec 3
        utc("2026-12-04T22:00:00"), // Friday 17:00: the day opened Dec 4
        utc("2026-07-01T21:30:00"), // summer: 17:30 New York, the day opened Jul 1
        Number.NaN,
      ],
      reset,
    );
    expect(labels).toEqual(["0:2026-07-01", "0:2026-12-03", "0:2026-12-04"]);
    expect(tradeDayLabels([utc("2026-12-04T10:00:00")], reset, 2)).toEqual(["2:2026-12-03"]);
    expect(tradeDaysIn([...labels, "2:2026-12-04"], 0)).toBe(3);
    expect(tradeDaysIn([...labels, "2:2026-12-04"], 2)).toBe(1);
    expect(tradeDaysIn([], 0)).toBe(0);
  });

  it("replaces the balance-change count in the objectives' progress once trades are read", () => {
    const r = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 100_000,
      objectives: { min_trading_days: 2 },
    });
    if (!r.ok) throw new Error("rules");
    const state = {
      balance: 100_000,
      equity: 100_000,
      objectives: { days: 5, best_day: 0, open_balance: 100_000, traded: true, met_at: null },
    } as unknown as Parameters<typeof objectivesOf>[1];
    expect(objectivesOf(r.rules, state)!.trading_days).toEqual({
      counted: 6,
      required: 2,
      reached: true,
    });
    expect(objectivesOf(r.rules, state, 1)!.trading_days).toEqual({
      counted: 1,
      required: 2,
      reached: false,
    });
  });
});
