/** The worked examples E6-E13 of docs/rules.md, "Worked examples, version 2", each as a test. */
import { describe, expect, it } from "vitest";
import {
  type Reading,
  type RiskState,
  applyAdjustment,
  evaluate,
  objectivesOf,
  usageOf,
} from "../../../src/risk/index.ts";
import { applied, EXAMPLE_CLOCK, rules } from "../fixtures.ts";

const { T0, DAY_MS, at, read } = EXAMPLE_CLOCK;

describe("E6: inclusive floor (Siegfund)", () => {
  const inclusive = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
    daily_reference: "balance",
    max_loss: { limit: 10, unit: "percent" },
    breach_at: "at_or_below",
  });
  const strict = rules({ ...inclusive, breach_at: "below" });

  it("E6: breaches daily_loss at equity exactly on the 95,000 floor with at_or_below", () => {
    const opened = applied(evaluate(inclusive, null, read(100_000, 0, 100_000)));
    expect(opened.daily_floor).toBe(95_000);
    const result = applied(evaluate(inclusive, opened.state, read(95_000, 1)));
    expect(result.violations.map((v) => [v.rule, v.floor, v.equity])).toEqual([
      ["daily_loss", 95_000, 95_000],
    ]);
  });

  it("E6: does not breach at the same equity with below", () => {
    const opened = applied(evaluate(strict, null, read(100_000, 0, 100_000)));
    expect(applied(evaluate(strict, opened.state, read(95_000, 1))).violations).toEqual([]);
  });
});

describe("E7: daily floor trailing the intraday high (HyroTrader)", () => {
  const params = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5_000, unit: "amount", mode: "trailing_intraday_high" },
    max_loss: { limit: 10, unit: "percent" },
    breach_at: "at_or_below",
  });

  it("E7: moves the floor from 95,000 to 105,000 as equity rises to 110,000, and 105,000 breaches", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    expect(opened.daily_floor).toBe(95_000);
    const high = applied(evaluate(params, opened.state, read(110_000, 1)));
    expect(high.daily_floor).toBe(105_000);
    expect(high.state.day_high).toBe(110_000);
    const back = applied(evaluate(params, high.state, read(107_500, 2)));
    expect(back.daily_floor).toBe(105_000);
    expect(back.usage.daily).toBeCloseTo(50, 9);
    const result = applied(evaluate(params, back.state, read(105_000, 3)));
    expect(result.violations.map((v) => [v.rule, v.floor])).toEqual([["daily_loss", 105_000]]);
  });

  it("E7: starts the next day's high afresh at its day start", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const high = applied(evaluate(params, opened.state, read(110_000, 1, 100_000)));
    const tomorrow = applied(evaluate(params, high.state, read(100_500, 24 * 60, 100_000)));
    expect(tomorrow.rolled_over).toBe(true);
    expect(tomorrow.state.day_high).toBe(100_500);
    expect(tomorrow.daily_floor).toBe(95_500);
  });
});

describe("E8: closed-balance trailing with lock (Breakout)", () => {
  const params = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5, unit: "percent" },
    max_loss: { limit: 8_000, unit: "amount", mode: "balance_trailing", lock_at_initial: true },
  });

  it("E8: moves the floor at once with the closed balance, and locks it at 100,000", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    expect(opened.max_floor).toBe(92_000);
    const b105 = applied(evaluate(params, opened.state, read(103_000, 1, 105_000)));
    expect(b105.max_floor).toBe(97_000);
    const b108 = applied(evaluate(params, b105.state, read(108_000, 2, 108_000)));
    expect(b108.max_floor).toBe(100_000);
    const b110 = applied(evaluate(params, b108.state, read(110_000, 3, 110_000)));
    expect(b110.max_floor).toBe(100_000);
  });

  it("E8: does not move the floor with an open profit (equity above the balance)", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const open = applied(evaluate(params, opened.state, read(106_000, 1, 100_000)));
    expect(open.max_floor).toBe(92_000);
  });
});

describe("E9: trailing as a percentage of the peak (MyFundedCapital)", () => {
  const params = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5, unit: "percent" },
    max_loss: {
      limit: 6,
      unit: "percent",
      mode: "trailing",
      trail: "percent_of_peak",
      lock_at_initial: true,
    },
  });

  it("E9: puts the floor at 95,880 for a 102,000 peak and locks 100,000.02 at 100,000", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    expect(opened.max_floor).toBe(94_000);
    const p102 = applied(evaluate(params, opened.state, read(102_000, 1)));
    expect(p102.max_floor).toBe(95_880);
    const p106 = applied(evaluate(params, p102.state, read(106_383, 2)));
    expect(p106.max_floor).toBe(100_000);
    const unlocked = rules({ ...params, max_loss: { ...params.max_loss, lock_at_initial: false } });
    const u = applied(evaluate(unlocked, p102.state, read(106_383, 2)));
    expect(u.max_floor).toBe(100_000.02);
  });
});

describe("E10: day-start equity (iTrader)", () => {
  const params = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
    daily_reference: "equity",
    max_loss: { limit: 10, unit: "percent" },
  });

  it("E10: puts the floor at 97,850 for equity 103,000 at the boundary", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    // Prague midnight of the 27th is 23:00Z on the 26th: 17 hours after T0.
    const boundary = applied(evaluate(params, opened.state, read(103_000, 17 * 60, 100_000)));
    expect(boundary.rolled_over).toBe(true);
    expect(boundary.state.day_start).toBe(103_000);
    expect(boundary.daily_floor).toBe(97_850);
  });
});

describe("E11: precision", () => {
  const params = rules({
    initial_balance: 33_333.33,
    daily_loss: { limit: 3, unit: "percent", basis: "initial_balance" },
    max_loss: { limit: 10, unit: "percent" },
  });

  it("E11: floors 32,333.33; equity 32,333.33 is not a breach, 32,333.32 is", () => {
    const opened = applied(evaluate(params, null, read(33_333.33, 0, 33_333.33)));
    expect(opened.daily_floor).toBe(32_333.33);
    expect(applied(evaluate(params, opened.state, read(32_333.33, 1))).violations).toEqual([]);
    const below = applied(evaluate(params, opened.state, read(32_333.32, 1)));
    expect(below.violations.map((v) => v.rule)).toEqual(["daily_loss"]);
  });
});

describe("E12: deposit", () => {
  const params = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5, unit: "percent" },
    max_loss: { limit: 10, unit: "percent", mode: "static" },
  });

  it("E12: keeps max usage at 50% after a 10,000 deposit: initial 110,000, floor 100,000", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const down = applied(evaluate(params, opened.state, read(95_000, 1)));
    expect(down.usage.max).toBeCloseTo(50, 9);
    const adjusted = applyAdjustment(down.state, { id: 1, amount: 10_000 });
    expect(usageOf(params, adjusted).usage.max).toBeCloseTo(50, 9);
    const after = applied(evaluate(params, adjusted, read(105_000, 2, 110_000)));
    expect(after.max_floor).toBe(100_000);
    expect(after.usage.max).toBeCloseTo(50, 9);
    expect(after.state.adjustment).toBe(10_000);
    expect(after.daily_floor).toBe(105_000); // the day start moved with the money too
  });

  it("E12: applies an adjustment once, whatever the number of times it is offered", () => {
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const once = applyAdjustment(opened.state, { id: 7, amount: 10_000 });
    expect(applyAdjustment(once, { id: 7, amount: 10_000 })).toBe(once);
    expect(applyAdjustment(once, { id: 6, amount: 10_000 })).toBe(once);
  });
});

describe("E13: objectives", () => {
  const params = rules({
    initial_balance: 100_000,
    daily_loss: { limit: 5, unit: "percent" },
    max_loss: { limit: 10, unit: "percent" },
    objectives: {
      profit_target: { limit: 10, unit: "percent", on: "balance" },
      min_trading_days: 4,
      consistency_pct: 50,
    },
  });

  /** Day `d` (0 = the opening day), minute `m` of it. */
  const onDay = (d: number, m: number, balance: number): Reading => ({
    equity: balance,
    balance,
    at: T0 + d * DAY_MS + m * 60_000,
    source: "poll",
  });

  it("E13: meets the objectives on day 6 and records the moment once", () => {
    let state: RiskState = applied(evaluate(params, null, onDay(0, 0, 100_000))).state;
    const closes = [106_000, 107_000, 108_000, 110_000, 111_000, 113_000];
    const metAt: Array<number | null> = [];
    closes.forEach((balance, d) => {
      const result = applied(evaluate(params, state, onDay(d, 60, balance)));
      metAt.push(result.objectives_met_at);
      state = result.state;
      const progress = objectivesOf(params, state)!;
      if (d === 3) {
        expect(progress.profit_target).toMatchObject({
          target: 10_000,
          profit: 10_000,
          reached: true,
        });
        expect(progress.trading_days).toEqual({ counted: 4, required: 4, reached: true });
        expect(progress.consistency).toMatchObject({ best_day: 6_000, best_day_share: 60 });
        expect(progress.met).toBe(false);
      }
      if (d === 4) expect(progress.consistency?.best_day_share).toBeCloseTo(54.5455, 3);
      if (d === 5) {
        expect(progress.consistency?.best_day_share).toBeCloseTo(46.1538, 3);
        expect(progress.met).toBe(true);
        expect(progress.met_at).toBe(new Date(onDay(5, 60, 0).at).toISOString());
      }
    });
    expect(metAt).toEqual([null, null, null, null, null, onDay(5, 60, 0).at]);
    // Later readings never record it again.
    const later = applied(evaluate(params, state, onDay(6, 60, 114_000)));
    expect(later.objectives_met_at).toBeNull();
    expect(later.state.objectives?.met_at).toBe(onDay(5, 60, 0).at);
  });

  it("E13: does not count a day without a closed trade", () => {
    let state = applied(evaluate(params, null, onDay(0, 0, 100_000))).state;
    state = applied(evaluate(params, state, onDay(0, 60, 101_000))).state;
    state = applied(evaluate(params, state, onDay(1, 60, 101_000))).state;
    state = applied(evaluate(params, state, onDay(2, 60, 101_000))).state;
    expect(objectivesOf(params, state)!.trading_days).toEqual({
      counted: 1,
      required: 4,
      reached: false,
    });
  });

  it("E13: does not meet the objectives of a breached account", () => {
    const quick = rules({
      ...params,
      objectives: { profit_target: { limit: 1, unit: "percent" } },
    });
    let state = applied(evaluate(quick, null, onDay(0, 0, 100_000))).state;
    state = applied(evaluate(quick, state, onDay(0, 1, 89_000))).state;
    const result = applied(evaluate(quick, state, onDay(0, 2, 102_000)));
    expect(result.objectives_met_at).toBeNull();
  });
});
