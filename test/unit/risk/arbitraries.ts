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
];

/** A valid, resolved parameter set covering every unit, basis, reference and mode. */
export const ruleParams: fc.Arbitrary<RuleParams> = fc
  .record({
    initial_balance: money(1_000, 1_000_000),
    dailyPct: fc.integer({ min: 1, max: 200 }).map((tenths) => tenths / 10),
    dailyAmountShare: fc.integer({ min: 1, max: 20 }),
    dailyUnit: fc.constantFrom("percent", "amount"),
    basis: fc.constantFrom("initial_balance", "day_start"),
    daily_reference: fc.constantFrom("balance", "max_balance_equity"),
    timezone: fc.constantFrom(...ZONES),
    hour: fc.integer({ min: 0, max: 23 }),
    maxPct: fc.integer({ min: 1, max: 300 }).map((tenths) => tenths / 10),
    maxUnit: fc.constantFrom("percent", "amount"),
    mode: fc.constantFrom("static", "trailing", "eod_trailing"),
    lock_at_initial: fc.boolean(),
    exit: fc.integer({ min: 1, max: 97 }),
    band: fc.integer({ min: 1, max: 30 }),
  })
  .map((g) => {
    const enter = Math.min(99, g.exit + g.band);
    const resolved = resolveRules({
      initial_balance: g.initial_balance,
      daily_loss: {
        limit:
          g.dailyUnit === "percent"
            ? g.dailyPct
            : Math.round((g.initial_balance * g.dailyAmountShare) / 100),
        unit: g.dailyUnit,
        basis: g.basis,
      },
      daily_reference: g.daily_reference,
      daily_reset: { timezone: g.timezone, hour: g.hour },
      max_loss: {
        limit:
          g.maxUnit === "percent" ? g.maxPct : Math.round((g.initial_balance * g.maxPct) / 100),
        unit: g.maxUnit,
        mode: g.mode,
        lock_at_initial: g.lock_at_initial,
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
