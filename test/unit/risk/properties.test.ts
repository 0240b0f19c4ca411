import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AppliedEvaluation,
  type Evaluation,
  type Reading,
  type RiskState,
  type RuleParams,
  evaluate,
} from "../../../src/risk/index.ts";
import { readingRun, ruleParams } from "./arbitraries.ts";
import { applied, rules } from "../fixtures.ts";

interface Step {
  before: RiskState | null;
  reading: Reading;
  result: Evaluation;
}

/** Feeds readings through the engine as a caller would, checking it never mutates a state. */
function run(params: RuleParams, readings: Reading[]): Step[] {
  const steps: Step[] = [];
  let state: RiskState | null = null;
  for (const reading of readings) {
    const frozen = state === null ? null : structuredClone(state);
    const result = evaluate(params, state, reading);
    if (state !== null) expect(state).toEqual(frozen);
    steps.push({ before: state, reading, result });
    state = result.state;
  }
  return steps;
}

/** An account state reached by a run of readings, with its breach marks cleared. */
const accountState = ruleParams.chain((params) =>
  readingRun(params.initial_balance, 15).map((readings) => {
    const steps = run(params, readings);
    const last = steps.at(-1)!.result.state!;
    return { params, state: { ...last, breached: { daily_loss: null, max_loss: null } } };
  }),
);

const at = (state: RiskState, offsetMs = 0): number => state.last_at + offsetMs;

describe("rule math properties", () => {
  it("never lowers usage as equity falls", () => {
    fc.assert(
      fc.property(
        accountState,
        fc.integer({ min: -2_000, max: 1_500 }),
        fc.integer({ min: 0, max: 200_000 }),
        ({ params, state }, share, dropCents) => {
          const high = Math.round(params.initial_balance * (1_000 + share) * 0.1) / 100;
          const low = high - dropCents / 100;
          const a = applied(
            evaluate(params, state, { equity: high, at: at(state), source: "event" }),
          );
          const b = applied(
            evaluate(params, state, { equity: low, at: at(state), source: "event" }),
          );
          expect(b.usage.daily).toBeGreaterThanOrEqual(a.usage.daily);
          expect(b.usage.max).toBeGreaterThanOrEqual(a.usage.max);
          expect(b.usage.overall).toBeGreaterThanOrEqual(a.usage.overall);
          expect(a.usage.overall).toBe(Math.max(a.usage.daily, a.usage.max));
        },
      ),
    );
  });

  it("breaches a rule exactly when equity is strictly below its floor", () => {
    // Equities anywhere, and on or a cent either side of each floor.
    const equityNear = (floor: number) =>
      fc.oneof(
        fc.constantFrom(floor, floor - 0.01, floor + 0.01),
        fc.integer({ min: -500, max: 500 }).map((c) => floor + c / 100),
      );
    fc.assert(
      fc.property(
        accountState.chain(({ params, state }) => {
          const probe = applied(
            evaluate(params, state, { equity: state.equity, at: at(state), source: "poll" }),
          );
          return fc
            .oneof(
              equityNear(probe.daily_floor),
              equityNear(probe.max_floor),
              fc
                .integer({ min: 0, max: Math.round(200 * params.initial_balance) })
                .map((c) => c / 100),
            )
            .map((equity) => ({ params, state, equity }));
        }),
        ({ params, state, equity }) => {
          const result = applied(
            evaluate(params, state, { equity, at: at(state, 1), source: "poll" }),
          );
          const rules = result.violations.map((v) => v.rule);
          // Version 2: `breach_at: at_or_below` also breaches at the floor.
          const hits = (floor: number) =>
            params.breach_at === "at_or_below" ? equity <= floor : equity < floor;
          expect(rules.includes("daily_loss")).toBe(hits(result.daily_floor));
          expect(rules.includes("max_loss")).toBe(hits(result.max_floor));
          for (const violation of result.violations) {
            expect(violation.usage).toBeGreaterThanOrEqual(100);
            expect(violation.equity).toBe(equity);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A run whose second reading sits exactly on the trailing max floor (806.12 -> 806.1). */
const AT_THE_FLOOR = {
  params: rules({
    initial_balance: 1000.12,
    daily_loss: {
      limit: 19,
      unit: "percent",
      basis: "initial_balance",
      mode: "trailing_intraday_high",
    },
    daily_reference: "balance",
    daily_reset: { timezone: "Asia/Kathmandu", hour: 20, minute: 45, label: "open_date" },
    max_loss: { limit: 227, unit: "amount", mode: "trailing", lock_at_initial: true },
    breach_at: "at_or_below",
    currency_digits: 1,
    objectives: {
      profit_target: { limit: 6, unit: "percent", on: "equity" },
      min_trading_days: 4,
      consistency_pct: 88,
    },
    live_enter_pct: 75,
    live_exit_pct: 54,
  }),
  readings: [1033.12, 806.1, 800.1].map((equity): Reading => ({
    equity,
    at: 1767225600000,
    source: "poll",
  })),
};

describe("state machine properties", () => {
  it("yields at most one violation per rule and period over any run of readings", () => {
    fc.assert(
      fc.property(
        ruleParams.chain((params) =>
          readingRun(params.initial_balance).map((readings) => ({ params, readings })),
        ),
        ({ params, readings }) => {
          const seen = new Set<string>();
          for (const { result } of run(params, readings)) {
            if (!result.applied) continue;
            for (const violation of result.violations) {
              const key = `${violation.rule}|${violation.period}`;
              expect(seen.has(key)).toBe(false);
              seen.add(key);
              expect(violation.period).toBe(
                violation.rule === "max_loss" ? "lifetime" : result.state.trading_day,
              );
              // `breach_at: at_or_below` counts equity at the floor as a breach (E6).
              if (params.breach_at === "at_or_below")
                expect(violation.equity).toBeLessThanOrEqual(violation.floor);
              else expect(violation.equity).toBeLessThan(violation.floor);
            }
          }
        },
      ),
      // Found by a run: equity exactly at a max floor of 806.1 under `at_or_below`.
      { examples: [[AT_THE_FLOOR]] },
    );
  });

  it("never changes the monitoring state of an account inside the hysteresis band", () => {
    fc.assert(
      fc.property(
        accountState,
        fc.constantFrom("polling" as const, "live" as const),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ params, state }, monitoring, position) => {
          // Aim the daily usage into [exit, enter); the max rule may push it out, which is skipped.
          const probe = applied(
            evaluate(params, state, { equity: state.equity, at: at(state), source: "poll" }),
          );
          const target =
            params.live_exit_pct + position * (params.live_enter_pct - params.live_exit_pct);
          const equity = state.day_start - ((state.day_start - probe.daily_floor) * target) / 100;
          const result = applied(
            evaluate(params, { ...state, monitoring }, { equity, at: at(state), source: "event" }),
          );
          fc.pre(
            result.usage.overall >= params.live_exit_pct &&
              result.usage.overall < params.live_enter_pct,
          );
          expect(result.transition).toBeNull();
          expect(result.state.monitoring).toBe(monitoring);
        },
      ),
    );
  });

  it("moves to live at or above live_enter_pct and back to polling below live_exit_pct", () => {
    fc.assert(
      fc.property(
        accountState,
        fc.constantFrom("polling" as const, "live" as const),
        fc.integer({ min: 500, max: 1_100 }),
        ({ params, state }, monitoring, share) => {
          const equity = Math.round(params.initial_balance * share * 0.1) / 100;
          const result = applied(
            evaluate(params, { ...state, monitoring }, { equity, at: at(state), source: "event" }),
          );
          const overall = result.usage.overall;
          const expected =
            monitoring === "polling"
              ? overall >= params.live_enter_pct
                ? "live"
                : "polling"
              : overall < params.live_exit_pct
                ? "polling"
                : "live";
          expect(result.state.monitoring).toBe(expected);
          expect(result.transition).toEqual(
            expected === monitoring ? null : { from: monitoring, to: expected },
          );
        },
      ),
    );
  });

  it("changes nothing for a stale reading", () => {
    fc.assert(
      fc.property(
        accountState,
        fc.integer({ min: 1, max: 10 * 86_400_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        ({ params, state }, ageMs, cents) => {
          const before = structuredClone(state);
          const result = evaluate(params, state, {
            equity: cents / 100,
            balance: cents / 100,
            at: state.last_at - ageMs,
            source: "event",
          });
          expect(result.applied).toBe(false);
          expect(result.state).toBe(state);
          expect(state).toEqual(before);
        },
      ),
    );
  });

  it("takes each day's start from the last balance known before its boundary, and keeps it all day", () => {
    fc.assert(
      fc.property(
        ruleParams.chain((params) =>
          readingRun(params.initial_balance).map((readings) => ({ params, readings })),
        ),
        ({ params, readings }) => {
          for (const { before, reading, result } of run(params, readings)) {
            if (!result.applied || before === null) continue;
            if (result.rolled_over) {
              // Version 2: a reading stamped exactly at the boundary sets the day's start itself.
              const atBoundary = reading.at === result.state.day_start_ms;
              const balance = atBoundary ? (reading.balance ?? before.balance) : before.balance;
              const equity = atBoundary ? reading.equity : before.equity;
              const expected =
                params.daily_reference === "balance"
                  ? balance
                  : params.daily_reference === "equity"
                    ? equity
                    : Math.max(balance, equity);
              expect(result.state.day_start).toBe(expected);
              expect(result.state.trading_day > before.trading_day).toBe(true);
              expect(reading.at).toBeGreaterThanOrEqual(before.day_end_ms);
              if (params.max_loss.mode === "eod_trailing") {
                expect(result.state.hwm).toBe(Math.max(before.hwm, balance));
              }
            } else {
              expect(result.state.day_start).toBe(before.day_start);
              expect(result.state.trading_day).toBe(before.trading_day);
            }
            expect(result.state.day_start_ms).toBeLessThanOrEqual(reading.at);
            expect(reading.at).toBeLessThan(result.state.day_end_ms);
            expect(result.state.hwm).toBeGreaterThanOrEqual(params.initial_balance);
          }
        },
      ),
    );
  });
});
