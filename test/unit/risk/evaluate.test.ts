import { describe, expect, it } from "vitest";
import {
  type AppliedEvaluation,
  type Evaluation,
  type Reading,
  type RiskState,
  type RuleParams,
  evaluate,
  initialState,
  resolveRules,
  rollover,
  usageOf,
} from "../../../src/risk/index.ts";
import { applied, rules } from "../fixtures.ts";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const ftmo = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
// Europe/Prague midnight: the trading day 2026-11-26 runs from 2026-11-25T23:00Z to 2026-11-26T23:00Z.
const BOUNDARY = Date.parse("2026-11-26T23:00:00Z");
const reading = (
  equity: number,
  at: number,
  balance?: number,
  source: "poll" | "event" = "poll",
): Reading => (balance === undefined ? { equity, at, source } : { equity, balance, at, source });

describe("opening an account", () => {
  it("opens the trading day at the first reading and takes day_start from its balance", () => {
    const result = applied(evaluate(ftmo, null, reading(101_000, BOUNDARY - 3_600_000, 102_000)));
    expect(result.state).toEqual({
      trading_day: "2026-11-26",
      day_start_ms: Date.parse("2026-11-25T23:00:00Z"),
      day_end_ms: BOUNDARY,
      day_start: 102_000,
      hwm: 101_000,
      balance: 102_000,
      equity: 101_000,
      last_at: BOUNDARY - 3_600_000,
      monitoring: "polling",
      breached: { daily_loss: null, max_loss: null },
    });
    expect(result.rolled_over).toBe(false);
  });

  it("uses equity as the balance when the first reading has none", () => {
    const state = initialState(ftmo, reading(99_000, BOUNDARY - 1));
    expect(state.balance).toBe(99_000);
    expect(state.day_start).toBe(99_000);
  });

  it("starts the eod_trailing high-water mark at initial_balance whatever the first equity", () => {
    const eod = rules({ preset: "ftmo-1step", initial_balance: 100_000 });
    expect(initialState(eod, reading(120_000, BOUNDARY, 120_000)).hwm).toBe(100_000);
    expect(initialState(ftmo, reading(90_000, BOUNDARY, 90_000)).hwm).toBe(100_000);
  });

  it("judges the first reading too: a first reading below the floor is a violation", () => {
    const result = applied(evaluate(ftmo, undefined, reading(89_000, BOUNDARY, 89_000)));
    expect(result.violations.map((v) => v.rule)).toEqual(["max_loss"]);
    expect(result.transition).toEqual({ from: "polling", to: "live" });
  });
});

describe("applying readings", () => {
  const opened = deepFreeze(
    applied(evaluate(ftmo, null, reading(104_000, BOUNDARY - 7_200_000, 104_000))).state,
  );

  it("keeps the last known balance when a reading has none", () => {
    const result = applied(evaluate(ftmo, opened, reading(103_000, BOUNDARY - 3_600_000)));
    expect(result.state.balance).toBe(104_000);
    expect(result.state.equity).toBe(103_000);
  });

  it("never changes the state passed in", () => {
    const copy = structuredClone(opened);
    applied(evaluate(ftmo, opened, reading(50_000, BOUNDARY - 3_600_000, 60_000)));
    applied(evaluate(ftmo, opened, reading(50_000, BOUNDARY + 3_600_000, 60_000)));
    expect(opened).toEqual(copy);
  });

  it("applies a reading with the same time as the last one", () => {
    const result = evaluate(ftmo, opened, reading(103_500, opened.last_at));
    expect(result.applied).toBe(true);
  });

  it("ignores a reading older than the newest applied one as stale", () => {
    const result = evaluate(ftmo, opened, reading(1, opened.last_at - 1, 1));
    expect(result).toEqual({ applied: false, reason: "stale", state: opened });
    expect(result.state).toBe(opened);
  });

  it("ignores a reading with a non-finite figure as invalid", () => {
    for (const bad of [
      reading(Number.NaN, BOUNDARY - 1),
      reading(1, Number.NaN),
      reading(1, BOUNDARY - 1, Infinity),
    ]) {
      expect(evaluate(ftmo, opened, bad)).toEqual({
        applied: false,
        reason: "invalid",
        state: opened,
      });
    }
    expect(evaluate(ftmo, null, reading(Number.NaN, BOUNDARY))).toEqual({
      applied: false,
      reason: "invalid",
      state: null,
    });
  });

  it("records each rule once per period, however often the floor is broken", () => {
    let state: RiskState = opened;
    const violations = [];
    for (let i = 1; i <= 5; i++) {
      const result = applied(
        evaluate(ftmo, state, reading(85_000 - i, BOUNDARY - 3_600_000 + i, 85_000)),
      );
      violations.push(...result.violations);
      state = result.state;
    }
    expect(violations.map((v) => [v.rule, v.period])).toEqual([
      ["daily_loss", "2026-11-26"],
      ["max_loss", "lifetime"],
    ]);
    // The next trading day is a new daily period; max_loss stays recorded for the lifetime.
    const nextDay = applied(evaluate(ftmo, state, reading(79_999, BOUNDARY + 60_000)));
    expect(nextDay.violations.map((v) => [v.rule, v.period, v.floor])).toEqual([
      ["daily_loss", "2026-11-27", 80_000],
    ]);
  });
});

describe("day roll-over", () => {
  const late = applied(evaluate(ftmo, null, reading(102_000, BOUNDARY - 120_000, 101_000)));
  const lateState = applied(evaluate(ftmo, late.state, reading(102_500, BOUNDARY - 60_000))).state;

  it("takes the new day_start from the last balance known before the boundary, not the new reading", () => {
    const result = applied(evaluate(ftmo, lateState, reading(95_000, BOUNDARY + 5_000, 96_000)));
    expect(result.rolled_over).toBe(true);
    expect(result.state.trading_day).toBe("2026-11-27");
    expect(result.state.day_start).toBe(101_000);
    expect(result.state.balance).toBe(96_000);
    expect(result.daily_floor).toBe(96_000);
  });

  it("rolls at the boundary instant itself", () => {
    expect(applied(evaluate(ftmo, lateState, reading(100_000, BOUNDARY))).rolled_over).toBe(true);
    expect(applied(evaluate(ftmo, lateState, reading(100_000, BOUNDARY - 1))).rolled_over).toBe(
      false,
    );
  });

  it("clears the daily breach mark and keeps the lifetime one", () => {
    const breached: RiskState = {
      ...lateState,
      breached: { daily_loss: "2026-11-26", max_loss: "lifetime" },
    };
    const result = applied(evaluate(ftmo, breached, reading(101_000, BOUNDARY + 1)));
    expect(result.state.breached).toEqual({ daily_loss: null, max_loss: "lifetime" });
  });

  it("skips over days without readings to the day that holds the reading", () => {
    const result = applied(
      evaluate(ftmo, lateState, reading(101_000, BOUNDARY + 3 * 86_400_000 + 1)),
    );
    expect(result.state.trading_day).toBe("2026-11-30");
    expect(result.state.day_start).toBe(101_000);
  });

  it("raises the eod_trailing high-water mark to the balance at the boundary only", () => {
    const eod = rules({ preset: "ftmo-1step", initial_balance: 100_000 });
    const s0 = applied(evaluate(eod, null, reading(100_000, BOUNDARY - 60_000, 100_000))).state;
    const s1 = applied(evaluate(eod, s0, reading(107_000, BOUNDARY - 30_000, 105_000)));
    expect(s1.state.hwm).toBe(100_000);
    expect(s1.max_floor).toBe(90_000);
    const s2 = applied(evaluate(eod, s1.state, reading(104_000, BOUNDARY + 30_000, 104_000)));
    expect(s2.state.hwm).toBe(105_000);
    expect(s2.max_floor).toBe(95_000);
  });

  it("rolls the day without a reading for a heartbeat, and leaves the state alone before the boundary", () => {
    expect(rollover(ftmo, lateState, BOUNDARY - 1)).toBe(lateState);
    const rolled = rollover(ftmo, lateState, BOUNDARY);
    expect(rolled).toEqual({
      ...lateState,
      trading_day: "2026-11-27",
      day_start_ms: BOUNDARY,
      day_end_ms: BOUNDARY + 86_400_000,
      day_start: 101_000,
    });
    expect(usageOf(ftmo, rolled).daily_floor).toBe(96_000);
  });

  it("treats a reading from before the boundary as stale once a heartbeat has rolled the day", () => {
    const rolled = rollover(ftmo, lateState, BOUNDARY + 1_000);
    expect(evaluate(ftmo, rolled, reading(90_000, BOUNDARY - 30_000)).applied).toBe(false);
    expect(applied(evaluate(ftmo, rolled, reading(100_000, BOUNDARY + 2_000))).rolled_over).toBe(
      false,
    );
  });
});

describe("usageOf", () => {
  it("recomputes the figures an evaluation reported from its state", () => {
    const result = applied(evaluate(ftmo, null, reading(99_500, BOUNDARY, 104_000)));
    expect(usageOf(ftmo, result.state)).toEqual({
      daily_floor: result.daily_floor,
      max_floor: result.max_floor,
      usage: result.usage,
    });
  });

  it("reports zero usage above the reference and more than 100 below the floor", () => {
    const state = initialState(ftmo, reading(104_000, BOUNDARY, 104_000));
    expect(usageOf(ftmo, { ...state, equity: 110_000 }).usage).toEqual({
      daily: 0,
      max: 0,
      overall: 0,
    });
    expect(usageOf(ftmo, { ...state, equity: 94_000 }).usage.daily).toBe(200);
  });
});
