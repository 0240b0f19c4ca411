/** fast-check properties of the version 2 modes (docs/rules.md, "Version 2"). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Evaluation,
  type Reading,
  type RiskState,
  type RuleParams,
  applyAdjustment,
  evaluate,
  usageOf,
} from "../../../src/risk/index.ts";
import { readingRun, ruleParams } from "./arbitraries.ts";
import { applied } from "../fixtures.ts";

interface Step {
  before: RiskState | null;
  reading: Reading;
  result: Evaluation;
}

function run(params: RuleParams, readings: Reading[]): Step[] {
  const steps: Step[] = [];
  let state: RiskState | null = null;
  for (const reading of readings) {
    const result = evaluate(params, state, reading);
    steps.push({ before: state, reading, result });
    state = result.state;
  }
  return steps;
}

const paramsAndRun = ruleParams.chain((params) =>
  readingRun(params.initial_balance).map((readings) => ({ params, readings })),
);

/** An account state reached by a run of readings, with its breach marks cleared. */
const accountState = ruleParams.chain((params) =>
  readingRun(params.initial_balance, 15).map((readings) => {
    const steps = run(params, readings);
    const last = steps.at(-1)!.result.state!;
    return { params, state: { ...last, breached: { daily_loss: null, max_loss: null } } };
  }),
);

const isTrailing = (params: RuleParams) => params.max_loss.mode !== "static";

describe("version 2 floors", () => {
  it("never puts a floor above its reference, in any mode", () => {
    fc.assert(
      fc.property(paramsAndRun, ({ params, readings }) => {
        for (const { result } of run(params, readings)) {
          if (!result.applied) continue;
          const s = result.state;
          const dailyRef =
            params.daily_loss.mode === "trailing_intraday_high" ? s.day_high! : s.day_start;
          expect(result.daily_floor).toBeLessThanOrEqual(dailyRef);
          const maxRef = isTrailing(params) ? s.hwm : params.initial_balance;
          expect(result.max_floor).toBeLessThanOrEqual(maxRef);
        }
      }),
    );
  });

  it("never lowers a trailing max floor, nor a daily floor trailing the intraday high within its day", () => {
    fc.assert(
      fc.property(paramsAndRun, ({ params, readings }) => {
        let lastMax = -Infinity;
        let lastDaily = -Infinity;
        let day = "";
        for (const { result } of run(params, readings)) {
          if (!result.applied) continue;
          if (isTrailing(params)) {
            expect(result.max_floor).toBeGreaterThanOrEqual(lastMax);
            lastMax = result.max_floor;
          }
          if (params.daily_loss.mode === "trailing_intraday_high") {
            if (result.state.trading_day !== day) {
              day = result.state.trading_day;
              lastDaily = -Infinity;
            }
            expect(result.daily_floor).toBeGreaterThanOrEqual(lastDaily);
            lastDaily = result.daily_floor;
          }
        }
      }),
    );
  });

  it("breaches inclusively exactly where it would strictly, or at equality with the floor", () => {
    fc.assert(
      fc.property(
        accountState.chain(({ params, state }) => {
          const probe = applied(
            evaluate(params, state, { equity: state.equity, at: state.last_at, source: "poll" }),
          );
          return fc
            .oneof(
              fc.constantFrom(probe.daily_floor, probe.max_floor),
              fc.integer({ min: -300, max: 300 }).map((c) => probe.daily_floor + c / 100),
              fc.integer({ min: -300, max: 300 }).map((c) => probe.max_floor + c / 100),
            )
            .map((equity) => ({ params, state, equity }));
        }),
        ({ params, state, equity }) => {
          const reading: Reading = { equity, at: state.last_at + 1, source: "event" };
          const strict = applied(evaluate({ ...params, breach_at: "below" }, state, reading));
          const inclusive = applied(
            evaluate({ ...params, breach_at: "at_or_below" }, state, reading),
          );
          for (const rule of ["daily_loss", "max_loss"] as const) {
            const floor = rule === "daily_loss" ? strict.daily_floor : strict.max_floor;
            const s = strict.violations.some((v) => v.rule === rule);
            const i = inclusive.violations.some((v) => v.rule === rule);
            expect(s).toBe(equity < floor);
            expect(i).toBe(equity <= floor);
            if (s !== i) expect(equity).toBe(floor);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("balance adjustments", () => {
  it("leave every usage unchanged, now and for the next reading shifted by the same money", () => {
    fc.assert(
      fc.property(
        accountState,
        fc.integer({ min: -40, max: 100 }),
        fc.integer({ min: -500, max: 500 }),
        ({ params, state }, sharePct, equityShare) => {
          const amount = Math.round((params.initial_balance * sharePct) / 100);
          fc.pre(amount !== 0);
          const adjusted = applyAdjustment(state, { id: 1, amount });
          const before = usageOf(params, state);
          const after = usageOf(params, adjusted);
          expect(after.usage.daily).toBeCloseTo(before.usage.daily, 6);
          expect(after.usage.max).toBeCloseTo(before.usage.max, 6);
          const equity = state.equity + Math.round(params.initial_balance * equityShare) / 10_000;
          const at = state.last_at + 1;
          const plain = applied(
            evaluate(params, state, { equity, balance: state.balance, at, source: "event" }),
          );
          const moved = applied(
            evaluate(params, adjusted, {
              equity: equity + amount,
              balance: state.balance + amount,
              at,
              source: "event",
            }),
          );
          expect(moved.usage.daily).toBeCloseTo(plain.usage.daily, 6);
          expect(moved.usage.max).toBeCloseTo(plain.usage.max, 6);
          expect(moved.violations.map((v) => v.rule)).toEqual(plain.violations.map((v) => v.rule));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("warnings and objectives", () => {
  it("raises each warning level at most once per rule and period, when usage reaches it", () => {
    fc.assert(
      fc.property(paramsAndRun, ({ params, readings }) => {
        const seen = new Set<string>();
        for (const { result } of run(params, readings)) {
          if (!result.applied) continue;
          for (const w of result.warnings) {
            const key = `${w.rule}|${w.period}|${w.level}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
            expect(params.warn_at_pct).toContain(w.level);
            expect(w.usage).toBeGreaterThanOrEqual(w.level);
            const usage = w.rule === "daily_loss" ? result.usage.daily : result.usage.max;
            expect(usage).toBe(w.usage);
          }
          for (const level of params.warn_at_pct ?? []) {
            if (result.usage.daily >= level) {
              expect(seen.has(`daily_loss|${result.state.trading_day}|${level}`)).toBe(true);
            }
            if (result.usage.max >= level)
              expect(seen.has(`max_loss|lifetime|${level}`)).toBe(true);
          }
        }
      }),
    );
  });

  it("records the objectives-met moment at most once, and never changes it", () => {
    fc.assert(
      fc.property(paramsAndRun, ({ params, readings }) => {
        let metAt: number | null = null;
        for (const { result } of run(params, readings)) {
          if (!result.applied) continue;
          if (result.objectives_met_at !== null) {
            expect(metAt).toBeNull();
            expect(params.objectives).toBeDefined();
            metAt = result.objectives_met_at;
          }
          if (params.objectives) expect(result.state.objectives?.met_at ?? null).toBe(metAt);
        }
      }),
    );
  });
});
