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
  tradingDayAt,
  usageOf,
} from "../../../src/risk/index.ts";
import { applied, rules } from "../fixtures.ts";

const T0 = Date.parse("2026-11-26T06:00:00Z");
const at = (minutes: number): number => T0 + minutes * 60_000;
const poll = (equity: number, minutes: number, balance?: number): Reading =>
  balance === undefined
    ? { equity, at: at(minutes), source: "poll" }
    : { equity, balance, at: at(minutes), source: "poll" };

describe("E1: daily loss on balance (FTMO 2-Step style)", () => {
  const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
  const opened = applied(evaluate(params, null, poll(104_000, 0, 104_000)));

  it("E1: puts the daily floor at 99,000 and the max floor at 90,000 for a day starting at 104,000", () => {
    expect(opened.state.day_start).toBe(104_000);
    expect(opened.daily_floor).toBe(99_000);
    expect(opened.max_floor).toBe(90_000);
  });

  it("E1: reports 90% daily, 5% max and 90% account usage at equity 99,500", () => {
    const result = applied(evaluate(params, opened.state, poll(99_500, 1)));
    expect(result.usage.daily).toBeCloseTo(90, 9);
    expect(result.usage.max).toBeCloseTo(5, 9);
    expect(result.usage.overall).toBeCloseTo(90, 9);
    expect(result.transition).toBeNull();
  });

  it("E1: enters live monitoring at 97% daily usage (equity 99,150)", () => {
    const result = applied(evaluate(params, opened.state, poll(99_150, 1)));
    expect(result.usage.daily).toBeCloseTo(97, 9);
    expect(result.transition).toEqual({ from: "polling", to: "live" });
    expect(result.state.monitoring).toBe("live");
  });

  it("E1: reports 100% usage but no breach at equity exactly on the floor (99,000.00)", () => {
    const result = applied(evaluate(params, opened.state, poll(99_000, 1)));
    expect(result.usage.daily).toBeCloseTo(100, 9);
    expect(result.violations).toEqual([]);
    expect(result.state.breached.daily_loss).toBeNull();
  });

  it("E1: breaches daily_loss for that trading day at equity 98,999.99", () => {
    const result = applied(evaluate(params, opened.state, poll(98_999.99, 1)));
    expect(result.violations).toEqual([
      {
        rule: "daily_loss",
        period: "2026-11-26",
        equity: 98_999.99,
        floor: 99_000,
        usage: 100.0002,
        at: at(1),
        source: "poll",
      },
    ]);
    expect(result.state.breached).toEqual({ daily_loss: "2026-11-26", max_loss: null });
  });
});

describe("E2: daily loss on max(balance, equity) with day-start basis (The5ers style)", () => {
  const params = rules({ preset: "the5ers-highstakes", initial_balance: 100_000 });
  // The New York 17:00 boundary of 2026-11-26 is 22:00Z.
  const beforeBoundary = Date.parse("2026-11-26T21:59:00Z");
  const afterBoundary = Date.parse("2026-11-26T22:00:30Z");
  const first = applied(
    evaluate(params, null, {
      equity: 102_000,
      balance: 100_000,
      at: beforeBoundary,
      source: "poll",
    }),
  );
  const result = applied(
    evaluate(params, first.state, {
      equity: 97_000,
      balance: 100_000,
      at: afterBoundary,
      source: "event",
    }),
  );

  it("E2: takes 102,000 as the reference, 5,100 as the allowance and 96,900 as the floor", () => {
    expect(result.rolled_over).toBe(true);
    expect(result.state.trading_day).toBe("2026-11-26");
    expect(result.state.day_start).toBe(102_000);
    expect(result.daily_floor).toBe(96_900);
  });

  it("E2: reports 98.04% daily usage (5,000 / 5,100) at equity 97,000", () => {
    expect(result.usage.daily).toBeCloseTo((5_000 / 5_100) * 100, 9);
    expect(result.usage.daily).toBeCloseTo(98.04, 2);
    expect(result.violations).toEqual([]);
  });
});

describe("E3: trailing max loss", () => {
  const base = {
    initial_balance: 50_000,
    daily_loss: { limit: 5, unit: "percent" },
    max_loss: { limit: 6, unit: "percent", mode: "trailing" },
  };
  const params = rules(base);
  const start = applied(evaluate(params, null, poll(50_000, 0)));

  it("E3: starts with the high-water mark at 50,000 and the floor at 47,000", () => {
    expect(start.state.hwm).toBe(50_000);
    expect(start.max_floor).toBe(47_000);
  });

  it("E3: raises the high-water mark to 52,500 and the floor to 49,500 with equity", () => {
    const up = applied(evaluate(params, start.state, poll(52_500, 1)));
    expect(up.state.hwm).toBe(52_500);
    expect(up.max_floor).toBe(49_500);
  });

  it("E3: reports 83.33% max usage back at equity 50,000, then breaches for the lifetime at 49,499", () => {
    const up = applied(evaluate(params, start.state, poll(52_500, 1)));
    const back = applied(evaluate(params, up.state, poll(50_000, 2)));
    expect(back.usage.max).toBeCloseTo(83.33, 2);
    expect(back.max_floor).toBe(49_500);
    const down = applied(evaluate(params, back.state, poll(49_499, 3)));
    expect(down.violations).toEqual([
      expect.objectContaining({
        rule: "max_loss",
        period: "lifetime",
        equity: 49_499,
        floor: 49_500,
      }),
    ]);
    expect(down.state.breached.max_loss).toBe("lifetime");
  });

  it("E3: with lock_at_initial caps the floor at 50,000 after equity 54,000 and reports 97.5% at 50,100", () => {
    const locked = rules({ ...base, max_loss: { ...base.max_loss, lock_at_initial: true } });
    const s0 = applied(evaluate(locked, null, poll(50_000, 0)));
    const peak = applied(evaluate(locked, s0.state, poll(54_000, 1)));
    expect(peak.state.hwm).toBe(54_000);
    expect(peak.max_floor).toBe(50_000);
    const dip = applied(evaluate(locked, peak.state, poll(50_100, 2)));
    expect(dip.usage.max).toBeCloseTo(97.5, 9);
  });
});

describe("E4: hysteresis (enter 97, exit 90)", () => {
  const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
  // Day start 104,000, allowance 5,000: daily usage u% is equity 104,000 - 50 u.
  const account = (monitoring: "polling" | "live"): RiskState =>
    initialState(params, poll(104_000, 0, 104_000), monitoring);

  it("E4: keeps a live account at 93% usage live", () => {
    const result = applied(evaluate(params, account("live"), poll(99_350, 1)));
    expect(result.usage.overall).toBeCloseTo(93, 9);
    expect(result.transition).toBeNull();
    expect(result.state.monitoring).toBe("live");
  });

  it("E4: returns a live account at 89.99% usage to polling", () => {
    const result = applied(evaluate(params, account("live"), poll(99_500.5, 1)));
    expect(result.usage.overall).toBeCloseTo(89.99, 9);
    expect(result.transition).toEqual({ from: "live", to: "polling" });
    expect(result.state.monitoring).toBe("polling");
  });

  it("E4: keeps a polling account at 96.99% usage polling", () => {
    const result = applied(evaluate(params, account("polling"), poll(99_150.5, 1)));
    expect(result.usage.overall).toBeCloseTo(96.99, 9);
    expect(result.transition).toBeNull();
    expect(result.state.monitoring).toBe("polling");
    expect(usageOf(params, result.state).usage.overall).toBeCloseTo(96.99, 9);
  });
});

describe("E5: DST (Europe/Prague, hour 0)", () => {
  it("E5: starts the trading day 2026-10-25 at 2026-10-24T22:00:00Z (CEST, UTC+2)", () => {
    const day = tradingDayAt(Date.parse("2026-10-25T12:00:00Z"), "Europe/Prague", 0);
    expect(day.day).toBe("2026-10-25");
    expect(new Date(day.startMs).toISOString()).toBe("2026-10-24T22:00:00.000Z");
    expect(new Date(day.endMs).toISOString()).toBe("2026-10-25T23:00:00.000Z");
  });

  it("E5: starts the trading day 2026-10-26 at 2026-10-25T23:00:00Z (CET, UTC+1)", () => {
    const day = tradingDayAt(Date.parse("2026-10-25T23:00:00Z"), "Europe/Prague", 0);
    expect(day.day).toBe("2026-10-26");
    expect(new Date(day.startMs).toISOString()).toBe("2026-10-25T23:00:00.000Z");
  });

  it("E5: keeps the last instant before the boundary in the previous trading day", () => {
    expect(tradingDayAt(Date.parse("2026-10-25T22:59:59.999Z"), "Europe/Prague", 0).day).toBe(
      "2026-10-25",
    );
  });
});
