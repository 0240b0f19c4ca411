/** The version 1 clarifications of docs/rules.md, "Clarifications of version 1". */
import { describe, expect, it } from "vitest";
import {
  type Reading,
  evaluate,
  readingTimeVerdict,
  resolveRules,
  roundMoney,
  toEpochMs,
  tradingDayAt,
} from "../../../src/risk/index.ts";
import { applied, rules } from "../fixtures.ts";

const poll = (equity: number, at: number, balance?: number): Reading =>
  balance === undefined ? { equity, at, source: "poll" } : { equity, balance, at, source: "poll" };

describe("the boundary instant belongs to the new day", () => {
  // Prague midnight of 2026-11-27 is 2026-11-26T23:00:00Z (CET).
  const boundary = Date.parse("2026-11-26T23:00:00Z");

  it("takes the new day_start from a reading stamped exactly at the boundary", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const opened = applied(evaluate(params, null, poll(100_000, boundary - 3_600_000, 100_000)));
    const result = applied(evaluate(params, opened.state, poll(101_000, boundary, 101_000)));
    expect(result.rolled_over).toBe(true);
    expect(result.state.trading_day).toBe("2026-11-27");
    expect(result.state.day_start).toBe(101_000);
    expect(result.daily_floor).toBe(96_000);
  });

  it("keeps the last balance before the boundary for a reading 1 ms after it", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const opened = applied(evaluate(params, null, poll(100_000, boundary - 3_600_000, 100_000)));
    const result = applied(evaluate(params, opened.state, poll(101_000, boundary + 1, 101_000)));
    expect(result.state.day_start).toBe(100_000);
  });

  it("raises the end-of-day high-water mark with a balance stamped at the boundary (ftmo-1step)", () => {
    const params = rules({ preset: "ftmo-1step", initial_balance: 100_000 });
    const opened = applied(evaluate(params, null, poll(100_000, boundary - 3_600_000, 100_000)));
    const result = applied(evaluate(params, opened.state, poll(104_000, boundary, 104_000)));
    expect(result.state.hwm).toBe(104_000);
    expect(result.max_floor).toBe(94_000);
  });
});

describe("money precision (currency_digits)", () => {
  it("rounds half away from zero, decimal halves included", () => {
    expect(roundMoney(1.005, 100)).toBe(1.01);
    expect(roundMoney(-1.005, 100)).toBe(-1.01);
    expect(roundMoney(2.5, 1)).toBe(3);
    expect(roundMoney(-2.5, 1)).toBe(-3);
    expect(roundMoney(32_333.3301, 100)).toBe(32_333.33);
    expect(roundMoney(0.0119752999, 1e8)).toBe(0.0119753);
  });

  it("puts 3% of 33,333.33 at the floor 32,333.33, not a false breach at that equity", () => {
    const params = rules({
      initial_balance: 33_333.33,
      daily_loss: { limit: 3, unit: "percent" },
      max_loss: { limit: 10, unit: "percent" },
    });
    const at = Date.parse("2026-11-26T08:00:00Z");
    const opened = applied(evaluate(params, null, poll(33_333.33, at, 33_333.33)));
    expect(opened.daily_floor).toBe(32_333.33);
    const onFloor = applied(evaluate(params, opened.state, poll(32_333.33, at + 1)));
    expect(onFloor.violations).toEqual([]);
  });

  it("rounds to 8 digits for a crypto-quoted account, so a tiny breach is not missed", () => {
    const params = rules({
      initial_balance: 0.01234567,
      currency_digits: 8,
      daily_loss: { limit: 3, unit: "percent" },
      max_loss: { limit: 10, unit: "percent" },
    });
    const at = Date.parse("2026-11-26T08:00:00Z");
    const opened = applied(evaluate(params, null, poll(0.01234567, at, 0.01234567)));
    expect(opened.daily_floor).toBe(0.0119753);
    const below = applied(evaluate(params, opened.state, poll(0.01197529, at + 1)));
    expect(below.violations.map((v) => v.rule)).toEqual(["daily_loss"]);
  });

  it("rounds to whole units with currency_digits 0", () => {
    const params = rules({
      initial_balance: 1_000_001,
      currency_digits: 0,
      daily_loss: { limit: 3.33, unit: "percent" },
      max_loss: { limit: 10, unit: "percent" },
    });
    const opened = applied(
      evaluate(params, null, poll(1_000_001, Date.parse("2026-11-26T08:00:00Z"), 1_000_001)),
    );
    // 1,000,001 - 33,300.0333 = 966,700.9667 -> 966,701
    expect(opened.daily_floor).toBe(966_701);
  });
});

describe("sane inputs", () => {
  const base = {
    daily_loss: { limit: 5, unit: "percent" },
    max_loss: { limit: 10, unit: "percent" },
  };

  it("accepts initial_balance from 0.01 to 1e12 and rejects outside", () => {
    expect(resolveRules({ ...base, initial_balance: 0.01 }).ok).toBe(true);
    expect(resolveRules({ ...base, initial_balance: 1e12 }).ok).toBe(true);
    for (const initial_balance of [0.009, 1e12 + 1, 1e15]) {
      const result = resolveRules({ ...base, initial_balance });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues).toEqual([
          { path: "initial_balance", message: "must be between 0.01 and 1e12" },
        ]);
      }
    }
  });

  it("never puts a daily floor above its reference when the day starts at or below zero", () => {
    const params = rules({
      ...base,
      initial_balance: 1_000,
      daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
    });
    const at = Date.parse("2026-11-26T08:00:00Z");
    const opened = applied(evaluate(params, null, poll(-100, at, -100)));
    expect(opened.state.day_start).toBe(-100);
    expect(opened.daily_floor).toBe(-100);
    expect(opened.daily_floor).toBeLessThanOrEqual(opened.state.day_start);
    expect(opened.violations.map((v) => v.rule)).toEqual(["max_loss"]);
  });
});

describe("reading times", () => {
  const ms = Date.parse("2026-11-26T06:00:00.123Z");

  it("reads numeric timestamps by magnitude: seconds, ms, microseconds, nanoseconds", () => {
    expect(toEpochMs(ms / 1000)).toBe(ms);
    expect(toEpochMs(ms)).toBe(ms);
    expect(toEpochMs(ms * 1000)).toBe(ms);
    expect(toEpochMs(ms * 1_000_000)).toBe(ms);
    expect(toEpochMs(99_999_999_999)).toBe(99_999_999_999_000);
    expect(toEpochMs(1e11)).toBe(1e11);
    expect(toEpochMs(1e14)).toBe(1e11);
    expect(toEpochMs(1e17)).toBe(1e11);
    expect(toEpochMs(Number.NaN)).toBeNaN();
  });

  it("accepts a reading up to 5 minutes ahead and 24 hours behind the monitor's clock", () => {
    expect(readingTimeVerdict(ms + 300_000, ms)).toBe("ok");
    expect(readingTimeVerdict(ms + 300_001, ms)).toBe("future");
    expect(readingTimeVerdict(ms - 86_400_000, ms)).toBe("ok");
    expect(readingTimeVerdict(ms - 86_400_001, ms)).toBe("too_old");
    expect(readingTimeVerdict(Number.NaN, ms)).toBe("too_old");
  });

  it("does not apply a reading from the future, nor let it move the trading day", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const opened = applied(evaluate(params, null, poll(100_000, ms, 100_000), ms));
    const microsAsMs = ms * 1000; // a microsecond stamp taken for ms: the year 57872
    const result = evaluate(params, opened.state, poll(90_000, microsAsMs, 90_000), ms);
    expect(result).toEqual({
      applied: false,
      reason: "invalid",
      detail: "future",
      state: opened.state,
    });
    expect(tradingDayAt(ms, "Europe/Prague", 0).day).toBe(opened.state.trading_day);
  });

  it("does not apply a reading more than 24 hours old", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const result = evaluate(params, null, poll(100_000, ms - 86_400_001, 100_000), ms);
    expect(result).toMatchObject({ applied: false, reason: "invalid", detail: "too_old" });
  });
});
