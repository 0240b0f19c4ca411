/**
 * Trading days counted from trades (docs/trades.md, "Trading days"): the days on which a
 * position opened or closed, in the firm's trading-day zone, each once, per reset epoch.
 */
import { describe, expect, it } from "vitest";
import { tradeDayLabels, tradeDaysIn } from "../../../src/risk/index.ts";
import { objectivesMetByTrades, objectivesOf } from "../../../src/risk/objectives.ts";
import {
  evaluate,
  resolveRules,
  type RiskState,
  type RuleParams,
} from "../../../src/risk/index.ts";

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

describe("objectives met by trading days from trades", () => {
  const T0 = utc("2026-12-01T10:00:00");
  const DAY = 86_400_000;
  function rulesOf(extra: Record<string, unknown>): RuleParams {
    const r = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 100_000,
      daily_reset: { timezone: "UTC", hour: 0 },
      objectives: { profit_target: { limit: 1, unit: "percent" }, min_trading_days: 2 },
      ...extra,
    });
    if (!r.ok) throw new Error(JSON.stringify(r));
    return r.rules;
  }
  const withTrades = rulesOf({ trade_rules: { max_open_positions: { limit: 50 } } });
  const withoutTrades = rulesOf({});

  /** Day 0 opens at 100,000; the balance closes +1,000 on day 0 and +500 on day 1. */
  function run(params: RuleParams): { state: RiskState; metAt: Array<number | null> } {
    const metAt: Array<number | null> = [];
    let state: RiskState | null = null;
    for (const [d, balance] of [
      [0, 100_000],
      [0, 101_000],
      [1, 101_500],
    ] as const) {
      const r = evaluate(params, state, {
        equity: balance,
        balance,
        at: T0 + d * DAY + metAt.length * 60_000,
        source: "poll",
      });
      if (!r.applied) throw new Error("not applied");
      metAt.push(r.objectives_met_at);
      state = r.state;
    }
    return { state: state!, metAt };
  }

  it("the engine meets them on balance-change days only where trades are never read", () => {
    // Without trade rules: two days the balance changed, target reached: met on day 1.
    expect(run(withoutTrades).metAt).toEqual([null, null, T0 + DAY + 2 * 60_000]);
    // With them, the same readings meet nothing: the trading days are the trades' to count.
    const { state, metAt } = run(withTrades);
    expect(metAt).toEqual([null, null, null]);
    expect(state.objectives?.met_at).toBeNull();
  });

  it("meets them once the trading days from trades reach the minimum, not before", () => {
    const { state } = run(withTrades);
    expect(objectivesMetByTrades(withTrades, state, 0)).toBe(false);
    expect(objectivesMetByTrades(withTrades, state, 1)).toBe(false);
    expect(objectivesMetByTrades(withTrades, state, 2)).toBe(true);
    expect(objectivesMetByTrades(withTrades, state, 5)).toBe(true);
    // Never for rules the engine judges, nor without a state.
    expect(objectivesMetByTrades(withoutTrades, run(withoutTrades).state, 5)).toBe(false);
    expect(objectivesMetByTrades(withTrades, null, 5)).toBe(false);
  });

  it("needs every other objective too, nothing breached, and not met already", () => {
    const { state } = run(withTrades);
    const short = { ...state, balance: 100_900, equity: 100_900 };
    expect(objectivesMetByTrades(withTrades, short, 3)).toBe(false);
    const onEquity = rulesOf({
      trade_rules: {},
      objectives: {
        profit_target: { limit: 1, unit: "percent", on: "equity" },
        min_trading_days: 2,
      },
    });
    expect(objectivesMetByTrades(onEquity, { ...short, equity: 101_000 }, 2)).toBe(true);
    const breached = { ...state, breached: { daily_loss: "2026-12-02", max_loss: null } };
    expect(objectivesMetByTrades(withTrades, breached, 3)).toBe(false);
    const met = { ...state, objectives: { ...state.objectives!, met_at: T0 } };
    expect(objectivesMetByTrades(withTrades, met, 3)).toBe(false);
    // Without a minimum of trading days the engine judges alone (met per reading).
    const noDays = rulesOf({
      trade_rules: {},
      objectives: { profit_target: { limit: 1, unit: "percent" } },
    });
    expect(objectivesMetByTrades(noDays, state, 3)).toBe(false);
  });
});
