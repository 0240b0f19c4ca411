/** fast-check generators shared by the risk engine's property tests. */
import fc from "fast-check";
import { type Reading, type RuleParams, resolveRules } from "../../../src/risk/index.ts";

/** Money with cents, as brokers report it. */
export const money = (min: number, max: number): fc.Arbitrary<number> =>
  fc
    .integer({ min: Math.round(min * 100), max: Math.round(max * 100) })
    .map((cents) => cents / 100);

export const ZONES = [
  "Europe/Prague",
  "America/New_York",
  "Europe/Athens",
  "America/Chicago",
  "UTC",
  "Asia/Kathmandu",
];

/** A valid, resolved parameter set covering every unit, basis, reference and mode, v2 included. */
export const ruleParams: fc.Arbitrary<RuleParams> = fc
  .record({
    initial_balance: money(1_000, 1_000_000),
    dailyPct: fc.integer({ min: 1, max: 200 }).map((tenths) => tenths / 10),
    dailyAmountShare: fc.integer({ min: 1, max: 20 }),
    dailyUnit: fc.constantFrom("percent", "amount"),
    basis: fc.constantFrom("initial_balance", "day_start"),
    daily_reference: fc.constantFrom("balance", "max_balance_equity", "equity"),
    dailyMode: fc.constantFrom(undefined, "fixed", "trailing_intraday_high"),
    timezone: fc.constantFrom(...ZONES),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.option(fc.constantFrom(0, 15, 30, 45, 59), { nil: undefined }),
    label: fc.constantFrom(undefined, "open_date", "close_date"),
    breach_at: fc.constantFrom(undefined, "below", "at_or_below"),
    currency_digits: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    percentOfPeak: fc.boolean(),
    warn_at_pct: fc.option(
      fc
        .uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 3 })
        .map((levels) => levels.sort((a, b) => a - b)),
      { nil: undefined },
    ),
    objectives: fc.option(
      fc.record({
        profit_target: fc.record({
          limit: fc.integer({ min: 1, max: 15 }),
          unit: fc.constant("percent"),
          on: fc.constantFrom("balance", "equity"),
        }),
        min_trading_days: fc.integer({ min: 1, max: 5 }),
        consistency_pct: fc.integer({ min: 20, max: 100 }),
      }),
      { nil: undefined },
    ),
    maxPct: fc.integer({ min: 1, max: 300 }).map((tenths) => tenths / 10),
    maxUnit: fc.constantFrom("percent", "amount"),
    mode: fc.constantFrom("static", "trailing", "eod_trailing", "balance_trailing"),
    lock_at_initial: fc.boolean(),
    exit: fc.integer({ min: 1, max: 97 }),
    band: fc.integer({ min: 1, max: 30 }),
  })
  .map((g) => {
    const enter = Math.min(99, g.exit + g.band);
    const trail =
      g.percentOfPeak && g.mode !== "static" && g.maxUnit === "percent"
        ? "percent_of_peak"
        : undefined;
    const resolved = resolveRules({
      initial_balance: g.initial_balance,
      daily_loss: {
        limit:
          g.dailyUnit === "percent"
            ? g.dailyPct
            : Math.round((g.initial_balance * g.dailyAmountShare) / 100),
        unit: g.dailyUnit,
        basis: g.basis,
        ...(g.dailyMode === undefined ? {} : { mode: g.dailyMode }),
      },
      daily_reference: g.daily_reference,
      daily_reset: {
        timezone: g.timezone,
        hour: g.hour,
        ...(g.minute === undefined ? {} : { minute: g.minute }),
        ...(g.label === undefined ? {} : { label: g.label }),
      },
      ...(g.breach_at === undefined ? {} : { breach_at: g.breach_at }),
      ...(g.currency_digits === undefined ? {} : { currency_digits: g.currency_digits }),
      ...(g.warn_at_pct === undefined ? {} : { warn_at_pct: g.warn_at_pct }),
      ...(g.objectives === undefined ? {} : { objectives: g.objectives }),
      max_loss: {
        limit:
          g.maxUnit === "percent" ? g.maxPct : Math.round((g.initial_balance * g.maxPct) / 100),
        unit: g.maxUnit,
        mode: g.mode,
        lock_at_initial: g.lock_at_initial,
        ...(trail === undefined ? {} : { trail }),
      },
      live_enter_pct: enter,
      live_exit_pct: g.exit,
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
    return resolved.rules;
  });

export const START = Date.parse("2026-01-01T00:00:00Z");
const HOUR_MS = 3_600_000;

/**
 * A time-ordered run of readings for an account near `initial`, spread over several days,
 * some without a balance and some from events.
 */
export function readingRun(initial: number, maxLength = 40): fc.Arbitrary<Reading[]> {
  return fc
    .array(
      fc.record({
        gapMs: fc.integer({ min: 0, max: 30 * HOUR_MS }),
        equityShare: fc.integer({ min: 800, max: 1_150 }),
        balanceShare: fc.option(fc.integer({ min: 850, max: 1_150 }), { nil: undefined }),
        source: fc.constantFrom("poll" as const, "event" as const),
      }),
      { minLength: 1, maxLength },
    )
    .chain((steps) =>
      fc.integer({ min: START, max: START + 4 * 365 * 24 * HOUR_MS }).map((startMs) => {
        let at = startMs;
        return steps.map((step): Reading => {
          at += step.gapMs;
          const equity = Math.round(initial * step.equityShare * 0.1) / 100;
          const reading: Reading = { equity, at, source: step.source };
          if (step.balanceShare !== undefined) {
            reading.balance = Math.round(initial * step.balanceShare * 0.1) / 100;
          }
          return reading;
        });
      }),
    );
}
