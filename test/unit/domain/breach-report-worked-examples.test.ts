/**
 * The breach report of each worked example E1-E13 (docs/rules.md) states the floor the engine
 * used, to the cent: each example is driven through the engine to a breach (its own breach
 * where it has one, else a reading one cent under the floor it states), the evidence is built
 * as the writer builds it, and the report of that violation is checked against the engine's
 * violation and the example's own number.
 */
import { describe, expect, it } from "vitest";
import { buildEvidence } from "../../../src/domain/breach-evidence.ts";
import { buildBreachReport, type BreachReport } from "../../../src/domain/breach-report.ts";
import type { EvidenceReading } from "../../../src/domain/evidence.ts";
import { metricsOf } from "../../../src/domain/outcome.ts";
import {
  applyAdjustment,
  evaluate,
  initialState,
  type Reading,
  type RiskState,
  type RuleName,
  type RuleParams,
} from "../../../src/risk/index.ts";
import { applied, EXAMPLE_CLOCK, rules } from "../fixtures.ts";

const { T0, DAY_MS, at, read } = EXAMPLE_CLOCK;

interface Driven {
  report: BreachReport;
  engineFloor: number;
}

/**
 * Applies `reading` to `state`, takes the engine's violation of `rule`, and builds its report
 * from evidence made as the writer makes it (metrics of the new state, readings before).
 */
function breach(
  params: RuleParams,
  state: RiskState,
  reading: Reading,
  rule: RuleName,
  opts: { before?: EvidenceReading[]; adjustments?: { total: number; day: number } } = {},
): Driven {
  const ev = applied(evaluate(params, state, reading));
  const violation = ev.violations.find((v) => v.rule === rule);
  if (!violation) throw new Error(`no ${rule} violation at equity ${reading.equity}`);
  const evidence = buildEvidence({
    rules: params,
    rulesVersion: 3,
    metrics: metricsOf(ev.state, ev, reading.source, params),
    readingsBefore: opts.before ?? [],
    cause: null,
  });
  const report = buildBreachReport({
    violation: {
      id: 1,
      account_id: 1,
      rule: violation.rule,
      period: violation.period,
      equity: violation.equity,
      floor: violation.floor,
      usage: violation.usage,
      source: violation.source,
      detected_at: new Date(violation.at),
      rules_version: 3,
    },
    evidence,
    ...(opts.adjustments ? { adjustments: opts.adjustments } : {}),
  });
  return { report, engineFloor: violation.floor };
}

/** The report states `floor` as the engine's, the arithmetic's and the recorded floor. */
function expectFloor(d: Driven, floor: number): void {
  expect(d.engineFloor).toBe(floor);
  expect(d.report.floor.value.toFixed(2)).toBe(floor.toFixed(2));
  expect(d.report.check.engine_floor).toBe(floor);
  expect(d.report.check.computed_floor).toBe(floor);
  expect(d.report.check.recorded_floor).toBe(floor);
  expect(d.report.check).toMatchObject({ replayed: true, engine_breached: true, agrees: true });
  expect(d.report.check.notes.filter((n) => !n.startsWith("The message or answer"))).toEqual([]);
  const last = d.report.floor.steps.find((s) => s.step === "floor")!;
  expect(last.value).toBe(floor);
  expect(d.report.floor.rules_version).toBe(3);
}

describe("the breach report of each worked example states the engine's floor to the cent", () => {
  it("E1: daily floor 99,000 (day start 104,000, 5% of 100,000); 98,999.99 breaches", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const opened = applied(evaluate(params, null, read(104_000, 0, 104_000)));
    const d = breach(params, opened.state, read(98_999.99, 1), "daily_loss");
    expectFloor(d, 99_000);
    expect(d.report.floor.reference).toBe(104_000);
    expect(d.report.floor.allowance).toBe(5_000);
    expect(d.report.rule_text).toMatch(/5% of the initial balance \(100,000\.00\)/);
    expect(d.report.floor.steps.at(-1)!.text).toBe(
      "Equity 98,999.99 is below the floor 99,000.00: the rule is breached.",
    );
  });

  it("E2: daily floor 96,900 (reference 102,000, allowance 5,100)", () => {
    const params = rules({ preset: "the5ers-highstakes", initial_balance: 100_000 });
    const first = applied(
      evaluate(params, null, {
        equity: 102_000,
        balance: 100_000,
        at: Date.parse("2026-11-26T21:59:00Z"),
        source: "poll",
      }),
    );
    const d = breach(
      params,
      first.state,
      {
        equity: 96_899.99,
        balance: 100_000,
        at: Date.parse("2026-11-26T22:00:30Z"),
        source: "event",
      },
      "daily_loss",
    );
    expectFloor(d, 96_900);
    expect(d.report.floor.reference).toBe(102_000);
    expect(d.report.floor.allowance).toBe(5_100);
  });

  it("E3: trailing max floor 49,500 after equity 52,500; 49,499 breaches; locked at 50,000", () => {
    const base = {
      initial_balance: 50_000,
      daily_loss: { limit: 5, unit: "percent" },
      max_loss: { limit: 6, unit: "percent", mode: "trailing" },
    };
    const params = rules(base);
    const start = applied(evaluate(params, null, read(50_000, 0)));
    const up = applied(evaluate(params, start.state, read(52_500, 1)));
    const back = applied(evaluate(params, up.state, read(50_000, 2)));
    const d = breach(params, back.state, read(49_499, 3), "max_loss");
    expectFloor(d, 49_500);
    expect(d.report.floor.reference).toBe(52_500);
    const locked = rules({ ...base, max_loss: { ...base.max_loss, lock_at_initial: true } });
    const s0 = applied(evaluate(locked, null, read(50_000, 0)));
    const peak = applied(evaluate(locked, s0.state, read(54_000, 1)));
    const l = breach(locked, peak.state, read(49_999.99, 2), "max_loss");
    expectFloor(l, 50_000);
    expect(l.report.floor.steps.find((s) => s.step === "lock")!.text).toMatch(/Locked/);
  });

  it("E4: the hysteresis account (day start 104,000) has its daily floor at 99,000", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const live = initialState(params, read(104_000, 0, 104_000), "live");
    const at93 = applied(evaluate(params, live, read(99_350, 1)));
    expect(at93.state.monitoring).toBe("live");
    expectFloor(breach(params, at93.state, read(98_999.99, 2), "daily_loss"), 99_000);
  });

  it("E5: a breach on 2026-10-26 (Prague) states the day that began at 2026-10-25T23:00Z", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const before: Reading = {
      equity: 100_000,
      balance: 100_000,
      at: Date.parse("2026-10-25T22:59:59.999Z"),
      source: "poll",
    };
    const opened = applied(evaluate(params, null, before));
    expect(opened.state.trading_day).toBe("2026-10-25");
    const d = breach(
      params,
      opened.state,
      { equity: 94_999.99, at: Date.parse("2026-10-25T23:00:00Z"), source: "event" },
      "daily_loss",
    );
    expectFloor(d, 95_000);
    expect(d.report.violation.period).toBe("2026-10-26");
    expect(d.report.trading_day).toEqual({
      day: "2026-10-26",
      starts_at: "2026-10-25T23:00:00.000Z",
      ends_at: "2026-10-26T23:00:00.000Z",
      timezone: "Europe/Prague",
    });
  });

  it("E6: inclusive floor 95,000: equity exactly 95,000 breaches", () => {
    const params = rules({
      initial_balance: 100_000,
      daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
      daily_reference: "balance",
      max_loss: { limit: 10, unit: "percent" },
      breach_at: "at_or_below",
    });
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const d = breach(params, opened.state, read(95_000, 1), "daily_loss");
    expectFloor(d, 95_000);
    expect(d.report.floor.breach_at).toBe("at_or_below");
    expect(d.report.floor.steps.at(-1)!.text).toMatch(/is at or below the floor 95,000\.00/);
  });

  it("E7: the floor trails the intraday high to 105,000; 105,000 breaches", () => {
    const params = rules({
      initial_balance: 100_000,
      daily_loss: { limit: 5_000, unit: "amount", mode: "trailing_intraday_high" },
      max_loss: { limit: 10, unit: "percent" },
      breach_at: "at_or_below",
    });
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const high = applied(evaluate(params, opened.state, read(110_000, 1)));
    const back = applied(evaluate(params, high.state, read(107_500, 2)));
    const before: EvidenceReading[] = [
      {
        at: new Date(at(2)).toISOString(),
        balance: 100_000,
        equity: 107_500,
        usage: 50,
        source: "event",
      },
      {
        at: new Date(at(1)).toISOString(),
        balance: 100_000,
        equity: 110_000,
        usage: 0,
        source: "event",
      },
      {
        at: new Date(at(0)).toISOString(),
        balance: 100_000,
        equity: 100_000,
        usage: 0,
        source: "event",
      },
    ];
    const d = breach(params, back.state, read(105_000, 3), "daily_loss", { before });
    expectFloor(d, 105_000);
    expect(d.report.floor.reference).toBe(110_000);
    expect(d.report.equity.map((p) => p.equity)).toEqual([100_000, 110_000, 107_500, 105_000]);
  });

  it("E8: closed-balance trailing floor 100,000 (balance 108,000, locked)", () => {
    const params = rules({
      initial_balance: 100_000,
      daily_loss: { limit: 5, unit: "percent" },
      max_loss: { limit: 8_000, unit: "amount", mode: "balance_trailing", lock_at_initial: true },
    });
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const b105 = applied(evaluate(params, opened.state, read(103_000, 1, 105_000)));
    expect(breach(params, b105.state, read(96_999.99, 2), "max_loss").engineFloor).toBe(97_000);
    expectFloor(breach(params, b105.state, read(96_999.99, 2), "max_loss"), 97_000);
    const b108 = applied(evaluate(params, b105.state, read(108_000, 2, 108_000)));
    expectFloor(breach(params, b108.state, read(99_999.99, 3), "max_loss"), 100_000);
  });

  it("E9: percent-of-peak floor 95,880 at a 102,000 peak; 100,000.02 locked at 100,000", () => {
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
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const p102 = applied(evaluate(params, opened.state, read(102_000, 1)));
    const d102 = breach(params, p102.state, read(95_879.99, 2), "max_loss");
    expectFloor(d102, 95_880);
    expect(d102.report.floor.allowance).toBe(6_120);
    const p106 = applied(evaluate(params, p102.state, read(106_383, 2)));
    const d106 = breach(params, p106.state, read(99_999.99, 3), "max_loss");
    expectFloor(d106, 100_000);
    expect(d106.report.floor.steps.find((s) => s.step === "rounding")!.value).toBe(100_000.02);
  });

  it("E10: day-start equity 103,000 gives the floor 97,850", () => {
    const params = rules({
      initial_balance: 100_000,
      daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
      daily_reference: "equity",
      max_loss: { limit: 10, unit: "percent" },
    });
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const boundary = applied(evaluate(params, opened.state, read(103_000, 17 * 60, 100_000)));
    const d = breach(params, boundary.state, read(97_849.99, 17 * 60 + 1), "daily_loss");
    expectFloor(d, 97_850);
    expect(d.report.floor.reference).toBe(103_000);
  });

  it("E11: precision: floor 32,333.33; 32,333.32 breaches", () => {
    const params = rules({
      initial_balance: 33_333.33,
      daily_loss: { limit: 3, unit: "percent", basis: "initial_balance" },
      max_loss: { limit: 10, unit: "percent" },
    });
    const opened = applied(evaluate(params, null, read(33_333.33, 0, 33_333.33)));
    const d = breach(params, opened.state, read(32_333.32, 1), "daily_loss");
    expectFloor(d, 32_333.33);
    expect(d.report.floor.steps.find((s) => s.step === "subtract")!.text).toMatch(
      /33,333\.33 - 999\.9999 = 32,333\.3301/,
    );
  });

  it("E12: after a 10,000 deposit the max floor is 100,000 and the daily floor 105,000", () => {
    const params = rules({
      initial_balance: 100_000,
      daily_loss: { limit: 5, unit: "percent" },
      max_loss: { limit: 10, unit: "percent", mode: "static" },
    });
    const opened = applied(evaluate(params, null, read(100_000, 0, 100_000)));
    const down = applied(evaluate(params, opened.state, read(95_000, 1)));
    const adjusted = applyAdjustment(down.state, { id: 1, amount: 10_000 });
    const after = applied(evaluate(params, adjusted, read(105_000, 2, 110_000)));
    const adjustments = { total: 10_000, day: 10_000 };
    const max = breach(params, after.state, read(99_999.99, 3), "max_loss", { adjustments });
    expectFloor(max, 100_000);
    expect(max.report.floor.reference).toBe(110_000);
    const daily = breach(params, after.state, read(99_999.99, 3), "daily_loss", { adjustments });
    expectFloor(daily, 105_000);
  });

  it("E13: the objectives account (met on day 6) keeps its daily floor at the day start - 5,000", () => {
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
    const onDay = (d: number, m: number, balance: number, equity = balance): Reading => ({
      equity,
      balance,
      at: T0 + d * DAY_MS + m * 60_000,
      source: "poll",
    });
    let state = applied(evaluate(params, null, onDay(0, 0, 100_000))).state;
    for (const [d, balance] of [106_000, 107_000, 108_000, 110_000, 111_000, 113_000].entries())
      state = applied(evaluate(params, state, onDay(d, 60, balance))).state;
    expect(state.objectives?.met_at).not.toBeNull();
    // Day 6 opened at 111,000 (the balance at its boundary): floor 106,000.
    const d = breach(params, state, onDay(5, 61, 113_000, 105_999.99), "daily_loss");
    expectFloor(d, 106_000);
  });
});

describe("the breach report says so when the numbers disagree", () => {
  const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
  const opened = applied(evaluate(params, null, read(104_000, 0, 104_000)));

  it("flags a recorded floor that the engine's replay does not give", () => {
    const d = breach(params, opened.state, read(98_999.99, 1), "daily_loss");
    const tampered = buildBreachReport({
      violation: { ...d.report.violation, floor: 99_000.01, detected_at: new Date(at(1)) },
      evidence: null,
    });
    expect(tampered.check.agrees).toBe(false);
    const withEvidence = buildBreachReport({
      violation: {
        ...d.report.violation,
        rule: "daily_loss",
        floor: 99_000.01,
        detected_at: new Date(at(1)),
      },
      evidence: buildEvidence({
        rules: params,
        rulesVersion: 3,
        metrics: metricsOf(
          applied(evaluate(params, opened.state, read(98_999.99, 1))).state,
          applied(evaluate(params, opened.state, read(98_999.99, 1))),
          "event",
          params,
        ),
        readingsBefore: [],
        cause: null,
      }),
    });
    expect(withEvidence.check.agrees).toBe(false);
    expect(withEvidence.check.engine_floor).toBe(99_000);
    expect(withEvidence.floor.value).toBe(99_000);
    expect(withEvidence.check.notes.join(" ")).toMatch(
      /engine's replay puts the floor at 99,000\.00, the violation recorded 99,000\.01/,
    );
  });

  it("takes a trailing day's high from the day's readings when the evidence's 20 do not hold it, and says so when nothing does", () => {
    const trailing = rules({
      initial_balance: 100_000,
      daily_loss: { limit: 5_000, unit: "amount", mode: "trailing_intraday_high" },
      max_loss: { limit: 10, unit: "percent" },
    });
    const o = applied(evaluate(trailing, null, read(100_000, 0, 100_000)));
    const high = applied(evaluate(trailing, o.state, read(110_000, 1)));
    const ev = applied(evaluate(trailing, high.state, read(104_999.99, 2)));
    const v = ev.violations[0]!;
    const input = {
      violation: {
        id: 5,
        account_id: 1,
        rule: v.rule,
        period: v.period,
        equity: v.equity,
        floor: v.floor,
        usage: v.usage,
        source: v.source,
        detected_at: new Date(v.at),
        rules_version: 1,
      },
      evidence: buildEvidence({
        rules: trailing,
        rulesVersion: 1,
        metrics: metricsOf(ev.state, ev, "event", trailing),
        readingsBefore: [],
        cause: null,
      }),
    };
    const seen = buildBreachReport({ ...input, dayHighSeen: 110_000 });
    expect(seen.check).toMatchObject({ agrees: true, engine_floor: 105_000 });
    const blind = buildBreachReport(input);
    expect(blind.check.agrees).toBe(false);
    expect(blind.check.notes.join(" ")).toMatch(
      /engine's replay puts the floor at 99,999\.99, the violation recorded 105,000\.00.*does not breach daily_loss/,
    );
  });

  it("says the floor was not replayed when no evidence was kept", () => {
    const r = buildBreachReport({
      violation: {
        id: 9,
        account_id: 1,
        rule: "max_loss",
        period: "lifetime",
        equity: 1,
        floor: 2,
        usage: 101,
        source: "poll",
        detected_at: new Date(at(0)),
        rules_version: null,
      },
      evidence: null,
    });
    expect(r.check).toMatchObject({ replayed: false, agrees: false });
    expect(r.floor.value).toBe(2);
    expect(r.check.notes[0]).toMatch(/No evidence was kept/);
  });
});
