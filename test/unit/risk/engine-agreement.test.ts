/**
 * The in-place engine (src/risk/step.ts, and `evaluate` built on it) against the engine it
 * replaced (reference/evaluate.ts, a new state per reading): on every reading of random runs
 * under random rule sets, version 1 and 2, both decide the same (applied, stale or invalid),
 * give the same floors, usage, violations, warnings, transition and objectives moment, leave
 * the same state (as an object and as stored JSON), and agree on whether what the next
 * reading depends on moved (the engine's `memory_moved` against the live monitor's old
 * comparison of the states before and after).
 *
 * The runs mix in what the live monitor and the poller meet: stale and invalid readings,
 * readings outside the window around the clock, balance adjustments between readings, states
 * that went through JSON (storage, RPC) and the rules changing under an account (from version
 * 2 rules to version 1 ones and back).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Evaluation,
  type Reading,
  type RiskState,
  type RuleParams,
  applyAdjustment,
  compileRules,
  copyState,
  evaluate,
  newStep,
  openState,
  stepInPlace,
} from "../../../src/risk/index.ts";
import { readingRun, ruleParams } from "./arbitraries.ts";
import { evaluate as referenceEvaluate, memoryMoved } from "./reference/evaluate.ts";

const HOUR_MS = 3_600_000;

/** What may happen before a reading, besides the reading itself. */
interface Twist {
  /** Make the reading stale (stamped before the last one), invalid (NaN), or ahead of the clock. */
  spoil: "none" | "stale" | "nan_equity" | "nan_balance" | "future" | "too_old";
  /** A balance adjustment applied before the reading. */
  adjustment: number | null;
  /** The state goes through JSON (stored and read back) before the reading. */
  reload: boolean;
  /** Judge with the monitor's clock (`nowMs`) = reading time + this, or without a clock. */
  clockSkewMs: number | null;
}

const twist: fc.Arbitrary<Twist> = fc.record({
  spoil: fc.constantFrom(
    "none",
    "none",
    "none",
    "none",
    "none",
    "none",
    "stale",
    "nan_equity",
    "nan_balance",
    "future",
    "too_old",
  ),
  adjustment: fc.option(
    fc
      .integer({ min: -500_000, max: 500_000 })
      .filter((c) => c !== 0)
      .map((c) => c / 100),
    { nil: null, freq: 12 },
  ),
  reload: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  clockSkewMs: fc.option(fc.integer({ min: -60_000, max: 60_000 }), { nil: null }),
});

const scenario = fc
  .tuple(ruleParams, ruleParams, fc.boolean())
  .chain(([params, later, changeRules]) =>
    readingRun(params.initial_balance, 40).chain((readings) =>
      fc.array(twist, { minLength: readings.length, maxLength: readings.length }).map((twists) => ({
        params,
        // Under changeRules the second half of the run is judged by other rules.
        later: changeRules ? later : params,
        readings,
        twists,
      })),
    ),
  );

function spoiled(reading: Reading, t: Twist, lastAt: number | null): Reading {
  switch (t.spoil) {
    case "stale":
      return lastAt === null ? reading : { ...reading, at: lastAt - 1 - HOUR_MS };
    case "nan_equity":
      return { ...reading, equity: NaN };
    case "nan_balance":
      return { ...reading, balance: Number.POSITIVE_INFINITY };
    default:
      return reading;
  }
}

function clockOf(reading: Reading, t: Twist): number | undefined {
  if (t.spoil === "future") return reading.at - 6 * 60_000;
  if (t.spoil === "too_old") return reading.at + 25 * HOUR_MS;
  return t.clockSkewMs === null ? undefined : reading.at + t.clockSkewMs;
}

const isV1 = (p: RuleParams) =>
  p.daily_loss.mode !== "trailing_intraday_high" &&
  p.warn_at_pct === undefined &&
  p.objectives === undefined;
const v1Rules = ruleParams.filter(isV1);
const v2Rules = ruleParams.filter((p) => !isV1(p));
const PLAIN_TWIST: Twist = { spoil: "none", adjustment: null, reload: false, clockSkewMs: null };

/** Both engines over one scenario; expects agreement after every reading. */
function agree(s: {
  params: RuleParams;
  later: RuleParams;
  readings: Reading[];
  twists: Twist[];
}): void {
  let old: RiskState | null = null;
  let held: RiskState | null = null;
  const step = newStep();
  let adjustmentId = 0;
  s.readings.forEach((base, i) => {
    const params = i < s.readings.length / 2 ? s.params : s.later;
    const c = compileRules(params);
    const t = s.twists[i]!;
    if (t.adjustment !== null && old !== null && held !== null) {
      adjustmentId++;
      old = applyAdjustment(old, { id: adjustmentId, amount: t.adjustment });
      held = applyAdjustment(held, { id: adjustmentId, amount: t.adjustment });
    }
    if (t.reload && old !== null && held !== null) {
      old = JSON.parse(JSON.stringify(old)) as RiskState;
      held = copyState(JSON.parse(JSON.stringify(held)) as RiskState);
    }
    const reading = spoiled(base, t, old?.last_at ?? null);
    const nowMs = clockOf(reading, t);

    const expected: Evaluation = referenceEvaluate(params, old, reading, nowMs);
    // The pure form, built on the in-place kernel, leaves its input alone.
    const frozen = held === null ? null : JSON.stringify(held);
    const pure = evaluate(params, held, reading, nowMs);
    expect(held === null ? null : JSON.stringify(held)).toBe(frozen);
    expect(pure).toEqual(expected);

    // The in-place kernel on the state the caller holds.
    let applied: boolean;
    let opened = false;
    if (held === null) {
      if (!expected.applied) return; // nothing opened, as the reference
      held = openState(c, reading.equity, reading.balance, reading.at, "polling");
      opened = true;
    }
    applied = stepInPlace(
      c,
      held,
      reading.equity,
      reading.balance,
      reading.at,
      reading.source,
      nowMs,
      step,
    );
    expect(applied).toBe(expected.applied);
    if (!expected.applied) {
      expect(step.reason).toBe(expected.reason);
      expect(step.detail ?? undefined).toBe(
        expected.reason === "invalid" ? expected.detail : undefined,
      );
      expect(held).toEqual(old);
      return;
    }
    expect(held).toEqual(expected.state);
    expect(JSON.stringify(held)).toBe(JSON.stringify(expected.state));
    expect({
      daily_floor: step.daily_floor,
      max_floor: step.max_floor,
      usage: step.usage,
      violations: step.violations,
      warnings: step.warnings,
      transition: step.transition,
      rolled_over: step.rolled_over,
      objectives_met_at: step.objectives_met_at,
    }).toEqual({
      daily_floor: expected.daily_floor,
      max_floor: expected.max_floor,
      usage: expected.usage,
      violations: expected.violations,
      warnings: expected.warnings,
      transition: expected.transition,
      rolled_over: expected.rolled_over,
      objectives_met_at: expected.objectives_met_at,
    });
    if (!opened) expect(step.memory_moved).toBe(memoryMoved(old!, expected.state));
    old = expected.state;
  });
}

describe("the in-place engine agrees with the engine it replaced", () => {
  it("on every reading of random runs, rule sets, adjustments, reloads and rule changes", () => {
    fc.assert(fc.property(scenario, agree), { numRuns: 400 });
  });

  it("on the version 1 rule sets alone (the version 1 kernel)", () => {
    const runs = v1Rules.chain((params) =>
      readingRun(params.initial_balance, 40).map((readings) => ({
        params,
        later: params,
        readings,
        twists: readings.map(() => PLAIN_TWIST),
      })),
    );
    fc.assert(fc.property(runs, agree), { numRuns: 300 });
  });

  it("when version 2 rules give way to version 1 rules and back", () => {
    const runs = fc.tuple(v2Rules, v1Rules, fc.boolean()).chain(([v2, v1, backwards]) =>
      readingRun(v2.initial_balance, 30).map((readings) => ({
        params: backwards ? v1 : v2,
        later: backwards ? v2 : v1,
        readings,
        twists: readings.map(() => PLAIN_TWIST),
      })),
    );
    fc.assert(fc.property(runs, agree), { numRuns: 300 });
  });
});

describe("a held state's floors memo", () => {
  it("is invisible to JSON, structured clone, spreads and key listings", () => {
    const params = ruleParamsSample();
    const c = compileRules(params);
    const held = openState(c, 100_000, 100_000, Date.UTC(2026, 10, 26, 12), "live");
    stepInPlace(
      c,
      held,
      99_000,
      undefined,
      Date.UTC(2026, 10, 26, 13),
      "event",
      undefined,
      newStep(),
    );
    const plain = JSON.parse(JSON.stringify(held)) as RiskState;
    expect(Object.getOwnPropertySymbols(held)).toHaveLength(1);
    expect(Object.keys(held)).toEqual(Object.keys(copyState(plain)));
    expect(Object.getOwnPropertySymbols({ ...held })).toHaveLength(0);
    expect(Object.getOwnPropertySymbols(structuredClone(held))).toHaveLength(0);
    expect(JSON.stringify(held)).not.toContain("floors");
  });
});

function ruleParamsSample(): RuleParams {
  return fc.sample(ruleParams, { numRuns: 1, seed: 7 })[0]!;
}
