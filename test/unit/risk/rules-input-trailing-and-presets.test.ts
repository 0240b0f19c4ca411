/** Validation of the version 2 rule parameters and presets. */
import { describe, expect, it } from "vitest";
import {
  PRESETS,
  PRESET_NAMES,
  type ResolveRulesResult,
  RuleParamsSchema,
  resolveRules,
} from "../../../src/risk/index.ts";
import { FULL_RULES_INPUT as full, issuesOf } from "../fixtures.ts";

describe("version 2 parameters", () => {
  it("accepts every new parameter and keeps it in the resolved rules", () => {
    const input = {
      ...full,
      daily_loss: { ...full.daily_loss, mode: "trailing_intraday_high" },
      daily_reference: "equity",
      daily_reset: { timezone: "UTC", hour: 0, minute: 30, label: "close_date" },
      max_loss: {
        limit: 6,
        unit: "percent",
        mode: "balance_trailing",
        lock_at_initial: true,
        trail: "percent_of_peak",
      },
      breach_at: "at_or_below",
      currency_digits: 8,
      warn_at_pct: [50, 75, 90],
      objectives: {
        profit_target: { limit: 8, unit: "percent", on: "equity" },
        min_trading_days: 4,
        consistency_pct: 40,
      },
    };
    expect(resolveRules(input)).toEqual({ ok: true, preset: null, rules: input });
  });

  it("defaults a profit target to the balance", () => {
    const result = resolveRules({
      ...full,
      objectives: { profit_target: { limit: 1_000, unit: "amount" } },
    });
    expect(result.ok && result.rules.objectives).toEqual({
      profit_target: { limit: 1_000, unit: "amount", on: "balance" },
    });
  });

  it("leaves a version 1 rule set exactly as version 1 resolved it", () => {
    expect(resolveRules(full)).toEqual({ ok: true, preset: null, rules: full });
  });

  it("rejects percent_of_peak with a static max_loss, naming max_loss.trail", () => {
    expect(
      issuesOf(resolveRules({ ...full, max_loss: { ...full.max_loss, trail: "percent_of_peak" } })),
    ).toEqual({
      "max_loss.trail":
        'percent_of_peak needs a trailing max_loss.mode ("trailing", "eod_trailing" or "balance_trailing"), not "static"',
    });
  });

  it("rejects percent_of_peak with an amount limit, naming max_loss.trail", () => {
    const issues = issuesOf(
      resolveRules({
        ...full,
        max_loss: { limit: 5_000, unit: "amount", mode: "trailing", trail: "percent_of_peak" },
      }),
    );
    expect(Object.keys(issues)).toEqual(["max_loss.trail"]);
  });

  it("rejects percent_of_peak through a preset override onto a static preset", () => {
    const issues = issuesOf(
      resolveRules({
        preset: "ftmo-2step",
        initial_balance: 100_000,
        max_loss: { trail: "percent_of_peak" },
      }),
    );
    expect(Object.keys(issues)).toEqual(["max_loss.trail"]);
  });

  it.each([
    [{ warn_at_pct: [50, 40] }, "warn_at_pct", "levels must be strictly ascending"],
    [{ warn_at_pct: [10, 20, 30, 40] }, "warn_at_pct", "at most 3 levels"],
    [{ warn_at_pct: [0] }, "warn_at_pct.0", "must be between 0 and 100 (exclusive)"],
    [{ warn_at_pct: [100] }, "warn_at_pct.0", "must be between 0 and 100 (exclusive)"],
    [{ currency_digits: 9 }, "currency_digits", "must be a whole number of digits from 0 to 8"],
    [{ currency_digits: 1.5 }, "currency_digits", "must be a whole number of digits from 0 to 8"],
    [{ breach_at: "at" }, "breach_at", 'must be one of "below", "at_or_below"'],
    [
      { daily_reset: { timezone: "UTC", hour: 0, minute: 60 } },
      "daily_reset.minute",
      "must be a whole minute from 0 to 59",
    ],
    [
      { daily_reset: { timezone: "UTC", hour: 0, label: "closing" } },
      "daily_reset.label",
      'must be one of "open_date", "close_date"',
    ],
    [
      { objectives: {} },
      "objectives",
      "name at least one of profit_target, min_trading_days, consistency_pct",
    ],
    [
      { objectives: { min_trading_days: 61 } },
      "objectives.min_trading_days",
      "must be a whole number of days from 1 to 60",
    ],
    [
      { objectives: { consistency_pct: 0.5 } },
      "objectives.consistency_pct",
      "must be between 1 and 100",
    ],
    [
      { objectives: { profit_target: { limit: 0, unit: "percent" } } },
      "objectives.profit_target.limit",
      "must be greater than 0",
    ],
  ])("rejects %j naming %s", (override, path, message) => {
    expect(issuesOf(resolveRules({ ...full, ...override }))).toEqual({ [path]: message });
  });

  it("accepts the new fields as preset overrides", () => {
    const result = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 50_000,
      breach_at: "at_or_below",
      daily_reset: { minute: 15 },
      warn_at_pct: [80],
    });
    expect(result.ok && result.rules).toMatchObject({
      breach_at: "at_or_below",
      daily_reset: { timezone: "Europe/Prague", hour: 0, minute: 15 },
      warn_at_pct: [80],
    });
  });
});

describe("version 2 presets", () => {
  it("resolves balance-trailing-style, hyrotrader-style and futures-eod-style to the spec's table", () => {
    const resolve = (preset: string) => {
      const result = resolveRules({ preset, initial_balance: 100_000 });
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.rules;
    };
    expect(resolve("balance-trailing-style")).toMatchObject({
      daily_loss: { limit: 4, unit: "percent", basis: "day_start" },
      daily_reference: "balance",
      daily_reset: { timezone: "UTC", hour: 0, minute: 30 },
      max_loss: { limit: 6, mode: "balance_trailing", lock_at_initial: true },
      breach_at: "at_or_below",
    });
    expect(resolve("hyrotrader-style")).toMatchObject({
      daily_loss: { limit: 5, basis: "initial_balance", mode: "trailing_intraday_high" },
      daily_reset: { timezone: "UTC", hour: 0 },
      max_loss: { limit: 10, mode: "static" },
      breach_at: "at_or_below",
    });
    expect(resolve("futures-eod-style")).toMatchObject({
      daily_loss: { limit: 2, basis: "initial_balance" },
      daily_reset: { timezone: "America/Chicago", hour: 17, label: "close_date" },
      max_loss: { limit: 4, mode: "eod_trailing", lock_at_initial: true },
    });
  });

  it("validates every preset against the full schema", () => {
    for (const name of PRESET_NAMES) {
      const parsed = RuleParamsSchema.safeParse({ ...PRESETS[name], initial_balance: 1 });
      expect(parsed.success).toBe(true);
    }
  });
});
