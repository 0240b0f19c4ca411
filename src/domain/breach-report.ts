/**
 * The breach report (docs/trader-page.md, "The breach report"): what a trader who disputes a
 * breach needs, in words and numbers. The rule in plain words; the reading that crossed the
 * floor (time, equity, source); the floor computed step by step (reference, allowance,
 * rounding, lock, rules version and its parameters); the equity from 30 minutes before to the
 * breach.
 *
 * Its numbers are the engine's own: the evidence kept at breach time is replayed through the
 * risk engine (`initialState` + `evaluate`, the engine's public functions), and the report
 * states the floor the engine computed. The step-by-step arithmetic here is for the reader;
 * when it, the engine's replay, or the floor recorded with the violation ever disagree (by
 * one unit of the account currency's precision or more), the report says so in `check`.
 * Pure: no I/O.
 */
import {
  DEFAULT_CURRENCY_DIGITS,
  evaluate,
  initialState,
  roundMoney,
  tradingDayAt,
  type Reading,
  type RiskState,
  type RuleName,
  type RuleParams,
} from "../risk/index.ts";
import type { EvidenceReading, ViolationEvidence } from "./evidence.ts";

/** How far back the report's equity goes from the breach (ms): 30 minutes. */
export const REPORT_WINDOW_MS = 30 * 60 * 1000;

/** A violation as the report needs it. */
export interface ReportViolation {
  id: number;
  account_id: number;
  rule: RuleName;
  period: string;
  equity: number;
  floor: number;
  usage: number;
  source: string;
  /** When the breaching reading happened. */
  detected_at: Date;
  rules_version: number | null;
}

/** What the report is built from. */
export interface ReportInput {
  violation: ReportViolation;
  /** The evidence kept at breach time; null for violations recorded before evidence existed. */
  evidence: ViolationEvidence | null;
  /**
   * Balance adjustments in the account's figures at the breach (account currency): all of
   * them, and those made during the breach's trading day (docs/rules.md, "Balance adjustments").
   */
  adjustments?: { total: number; day: number };
  /** Readings from {@link REPORT_WINDOW_MS} before the breach up to it, any order. */
  readings?: readonly EvidenceReading[];
  /**
   * The highest equity read during the breach's trading day before the breach, when known
   * (the intraday high of `daily_loss.mode: trailing_intraday_high`, beyond the 20 readings
   * the evidence keeps).
   */
  dayHighSeen?: number | null;
}

/** One step of the floor's arithmetic. */
export interface FloorStep {
  /** `reference`, `allowance`, `subtract`, `rounding`, `cap`, `lock`, `floor`, `comparison`. */
  step: string;
  /** The step's value (account currency), or null for a comparison. */
  value: number | null;
  /** The step in words, with its numbers. */
  text: string;
}

/** The breach report. */
export interface BreachReport {
  violation: {
    id: number;
    account_id: number;
    rule: RuleName;
    period: string;
    equity: number;
    floor: number;
    usage: number;
    source: string;
    detected_at: string;
    rules_version: number | null;
  };
  /** The rule in plain words. */
  rule_text: string;
  /** The reading that crossed the floor. */
  reading: {
    at: string;
    equity: number;
    balance: number | null;
    source: string;
    /** Where the figure came from, in words (the Events message or the MTAPI answer). */
    source_text: string;
    received_at: string | null;
  };
  /** How the floor was computed. */
  floor: {
    /** The floor the engine used (its replay of the evidence; else the recorded floor). */
    value: number;
    reference: number | null;
    reference_text: string;
    allowance: number | null;
    allowance_text: string;
    currency_digits: number;
    breach_at: "below" | "at_or_below";
    steps: FloorStep[];
    rules_version: number | null;
    /** The parameters of the rule (and those the floor depends on). */
    parameters: Record<string, unknown>;
  };
  /** The trading day of the breach in the rules' reset zone (null without evidence). */
  trading_day: { day: string; starts_at: string; ends_at: string; timezone: string } | null;
  /** The figures at the breach, as kept in the evidence (null without evidence). */
  figures: ViolationEvidence["figures"] | null;
  /** Equity from 30 minutes before the breach to it, oldest first; the breach is the last. */
  equity: Array<{ at: string; equity: number; balance: number; source: string }>;
  /** Did the numbers agree? */
  check: {
    /** The engine replayed the evidence (false without evidence). */
    replayed: boolean;
    /** The floor the engine's replay computed, or null. */
    engine_floor: number | null;
    /** The floor of the step-by-step arithmetic above, or null. */
    computed_floor: number | null;
    /** The floor recorded with the violation. */
    recorded_floor: number;
    /** True when the replay breached the same rule. */
    engine_breached: boolean | null;
    /** True when every number available agrees. */
    agrees: boolean;
    /** Each disagreement (or why nothing could be checked), in words. */
    notes: string[];
  };
}

/** `12,345.67` with the currency's digits. */
export function money(value: number, digits: number): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `5%` / `0.5%`. */
function pct(value: number): string {
  return `${value.toLocaleString("en-US", { maximumFractionDigits: 6 })}%`;
}

const REFERENCE_WORDS: Record<string, string> = {
  balance: "the balance at the start of the trading day",
  max_balance_equity: "the larger of balance and equity at the start of the trading day",
  equity: "the equity at the start of the trading day",
};

const MAX_REFERENCE_WORDS: Record<string, string> = {
  static: "the initial balance",
  trailing: "the highest equity reached (never below the initial balance)",
  eod_trailing: "the highest end-of-day balance (never below the initial balance)",
  balance_trailing: "the highest closed balance (never below the initial balance)",
};

function resetWords(rules: RuleParams): string {
  const r = rules.daily_reset;
  const hh = String(r.hour).padStart(2, "0");
  const mm = String(r.minute ?? 0).padStart(2, "0");
  return `${hh}:${mm} ${r.timezone}`;
}

/** The rule in plain words. */
export function ruleText(rule: RuleName, rules: RuleParams): string {
  const digits = rules.currency_digits ?? DEFAULT_CURRENCY_DIGITS;
  const crossing =
    rules.breach_at === "at_or_below" ? "falls to the floor or below it" : "falls below the floor";
  if (rule === "daily_loss") {
    const d = rules.daily_loss;
    const allowance =
      d.unit === "amount"
        ? money(d.limit, digits)
        : `${pct(d.limit)} of ${d.basis === "day_start" ? "the day's starting level" : `the initial balance (${money(rules.initial_balance, digits)})`}`;
    const reference =
      d.mode === "trailing_intraday_high"
        ? `the highest equity reached since the day began (never below ${REFERENCE_WORDS[rules.daily_reference] ?? "the day's start"})`
        : (REFERENCE_WORDS[rules.daily_reference] ?? "the day's starting level");
    return (
      `Daily loss limit: each trading day (starting ${resetWords(rules)}) the account may lose at most ${allowance}, ` +
      `measured from ${reference}. The daily floor is that level minus the allowance, rounded to ${digits} decimal places; ` +
      `the account fails when its equity ${crossing}.`
    );
  }
  const m = rules.max_loss;
  const allowance =
    m.unit === "amount"
      ? money(m.limit, digits)
      : m.trail === "percent_of_peak" && m.mode !== "static"
        ? `${pct(m.limit)} of the peak`
        : `${pct(m.limit)} of the initial balance (${money(rules.initial_balance, digits)})`;
  const lock =
    m.lock_at_initial && m.mode !== "static"
      ? " The floor never rises above the initial balance."
      : "";
  return (
    `Maximum loss limit: over the account's life it may lose at most ${allowance}, measured from ` +
    `${MAX_REFERENCE_WORDS[m.mode] ?? "its reference"}. The floor is that level minus the allowance, rounded to ` +
    `${digits} decimal places.${lock} The account fails when its equity ${crossing}.`
  );
}

/** The parameters a rule's floor depends on. */
function parametersOf(rule: RuleName, rules: RuleParams): Record<string, unknown> {
  const common = {
    initial_balance: rules.initial_balance,
    currency_digits: rules.currency_digits ?? DEFAULT_CURRENCY_DIGITS,
    breach_at: rules.breach_at ?? "below",
  };
  return rule === "daily_loss"
    ? {
        ...common,
        daily_loss: rules.daily_loss,
        daily_reference: rules.daily_reference,
        daily_reset: rules.daily_reset,
      }
    : { ...common, max_loss: rules.max_loss };
}

/** Figures the floor's arithmetic needs, from the evidence and the readings before it. */
interface Levels {
  dayStart: number;
  hwm: number;
  dayHigh: number;
  adjustment: number;
  dayAdjustment: number;
}

interface Arithmetic {
  reference: number;
  referenceText: string;
  allowance: number;
  allowanceText: string;
  steps: FloorStep[];
  floor: number;
}

/** The floor of `rule`, step by step, as docs/rules.md defines it. */
function arithmetic(rule: RuleName, rules: RuleParams, l: Levels, equity: number): Arithmetic {
  const digits = rules.currency_digits ?? DEFAULT_CURRENCY_DIGITS;
  const scale = 10 ** digits;
  const $ = (v: number) => money(v, digits);
  // Intermediate figures unrounded (3% of 33,333.33 is 999.9999, not 1,000.00).
  const exact = (v: number) =>
    v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: 10 });
  const steps: FloorStep[] = [];
  let reference: number;
  let referenceText: string;
  let allowance: number;
  let allowanceText: string;
  const initial = rules.initial_balance + l.adjustment;
  if (rule === "daily_loss") {
    const d = rules.daily_loss;
    const start = REFERENCE_WORDS[rules.daily_reference] ?? "the day's starting level";
    if (d.mode === "trailing_intraday_high" && l.dayHigh > l.dayStart) {
      reference = l.dayHigh;
      referenceText = `the highest equity since the day began, ${$(l.dayHigh)} (above ${start}, ${$(l.dayStart)})`;
    } else {
      reference = l.dayStart;
      referenceText = `${start}: ${$(l.dayStart)}`;
    }
    if (d.unit === "amount") {
      allowance = d.limit;
      allowanceText = `a fixed amount: ${$(d.limit)}`;
    } else if (d.basis === "day_start") {
      const base = l.dayStart - l.dayAdjustment;
      allowance = (d.limit * base) / 100;
      allowanceText = `${pct(d.limit)} of the day's starting level ${$(base)}${l.dayAdjustment ? " (before the day's adjustments)" : ""} = ${exact(allowance)}`;
    } else {
      allowance = (d.limit * rules.initial_balance) / 100;
      allowanceText = `${pct(d.limit)} of the initial balance ${$(rules.initial_balance)} = ${exact(allowance)}`;
    }
  } else {
    const m = rules.max_loss;
    if (m.mode === "static") {
      reference = initial;
      referenceText = l.adjustment
        ? `the initial balance with adjustments: ${$(rules.initial_balance)} ${l.adjustment > 0 ? "+" : "-"} ${$(Math.abs(l.adjustment))} = ${$(initial)}`
        : `the initial balance: ${$(initial)}`;
    } else {
      reference = l.hwm;
      referenceText = `${MAX_REFERENCE_WORDS[m.mode]}: ${$(l.hwm)}`;
    }
    if (m.unit === "percent" && m.trail === "percent_of_peak" && m.mode !== "static") {
      const peak = l.hwm - l.adjustment;
      allowance = (m.limit * peak) / 100;
      allowanceText = `${pct(m.limit)} of the peak ${$(peak)} = ${exact(allowance)}`;
    } else if (m.unit === "amount") {
      allowance = m.limit;
      allowanceText = `a fixed amount: ${$(m.limit)}`;
    } else {
      allowance = (m.limit * rules.initial_balance) / 100;
      allowanceText = `${pct(m.limit)} of the initial balance ${$(rules.initial_balance)} = ${exact(allowance)}`;
    }
  }
  if (!(allowance > 0)) allowance = 0;
  steps.push({ step: "reference", value: reference, text: `Reference: ${referenceText}.` });
  steps.push({ step: "allowance", value: allowance, text: `Allowance: ${allowanceText}.` });
  const raw = reference - allowance;
  steps.push({
    step: "subtract",
    value: raw,
    text: `Reference minus allowance: ${exact(reference)} - ${exact(allowance)} = ${exact(raw)}.`,
  });
  let floor = roundMoney(raw, scale, reference);
  steps.push({
    step: "rounding",
    value: floor,
    text: `Rounded to ${digits} decimal place${digits === 1 ? "" : "s"} (half away from zero): ${$(floor)}.`,
  });
  if (floor > reference) {
    floor = reference;
    steps.push({
      step: "cap",
      value: floor,
      text: `A floor is never above its reference: ${$(floor)}.`,
    });
  }
  if (rule === "max_loss" && rules.max_loss.lock_at_initial && rules.max_loss.mode !== "static") {
    if (floor > initial) {
      floor = initial;
      steps.push({
        step: "lock",
        value: floor,
        text: `Locked at the initial balance: the floor stays at ${$(initial)}.`,
      });
    } else {
      steps.push({
        step: "lock",
        value: floor,
        text: `Lock at the initial balance (${$(initial)}): not reached, the floor stays ${$(floor)}.`,
      });
    }
  }
  steps.push({ step: "floor", value: floor, text: `Floor: ${$(floor)}.` });
  const inclusive = rules.breach_at === "at_or_below";
  const crossed = inclusive ? equity <= floor : equity < floor;
  steps.push({
    step: "comparison",
    value: null,
    text: `Equity ${$(equity)} is ${crossed ? "" : "not "}${inclusive ? "at or below" : "below"} the floor ${$(floor)}${crossed ? ": the rule is breached" : ""}.`,
  });
  return { reference, referenceText, allowance, allowanceText, steps, floor };
}

/** The levels at the breach: from the evidence, the adjustments and the readings of the day. */
function levelsOf(
  rules: RuleParams,
  evidence: ViolationEvidence,
  at: number,
  equity: number,
  adjustments: { total: number; day: number },
  dayHighSeen: number | null,
): Levels {
  const f = evidence.figures;
  const r = rules.daily_reset;
  const dayStartMs = tradingDayAt(at, r.timezone, r.hour, r.minute ?? 0, r.label).startMs;
  let dayHigh = Math.max(f.day_start, equity, dayHighSeen ?? -Infinity);
  for (const r of evidence.readings_before) {
    const t = Date.parse(r.at);
    if (t >= dayStartMs && t <= at && r.equity > dayHigh) dayHigh = r.equity;
  }
  return {
    dayStart: f.day_start,
    hwm: f.hwm,
    dayHigh,
    adjustment: adjustments.total,
    dayAdjustment: adjustments.day,
  };
}

/**
 * Replays the breaching reading through the engine from the levels kept in the evidence:
 * the state the engine held just before it (its trading day opened by `initialState`, then
 * the evidence's day start, high-water mark, intraday high and adjustments), judged by
 * `evaluate`. Returns the engine's floors and violations.
 */
function replay(rules: RuleParams, levels: Levels, reading: Reading) {
  const opened = initialState(rules, reading);
  const state: RiskState = {
    ...opened,
    day_start: levels.dayStart,
    hwm: levels.hwm,
    balance: reading.balance ?? opened.balance,
    equity: reading.equity,
    last_at: reading.at,
    breached: { daily_loss: null, max_loss: null },
    ...(rules.daily_loss.mode === "trailing_intraday_high" ? { day_high: levels.dayHigh } : {}),
    ...(levels.adjustment || levels.dayAdjustment
      ? { adjustment: levels.adjustment, day_adjustment: levels.dayAdjustment }
      : {}),
  };
  return evaluate(rules, state, reading);
}

/** Where the breaching figure came from, in words. */
function sourceText(v: ReportViolation, evidence: ViolationEvidence | null): string {
  const cause = evidence?.cause;
  if (cause?.kind === "event")
    return `A live account update from the Events stream, received at ${cause.received_at}.`;
  if (cause?.kind === "rest")
    return `A poll of the account over MTAPI REST (${cause.request}), answered at ${cause.received_at}.`;
  return v.source === "event"
    ? "A live account update from the Events stream."
    : "A poll of the account over MTAPI REST.";
}

/** The report of one violation. */
export function buildBreachReport(input: ReportInput): BreachReport {
  const v = input.violation;
  const evidence = input.evidence;
  const at = v.detected_at.getTime();
  const atIso = v.detected_at.toISOString();
  const adjustments = input.adjustments ?? { total: 0, day: 0 };
  const notes: string[] = [];

  const series = new Map<string, { at: string; equity: number; balance: number; source: string }>();
  const from = at - REPORT_WINDOW_MS;
  for (const r of [...(evidence?.readings_before ?? []), ...(input.readings ?? [])]) {
    const t = Date.parse(r.at);
    if (!(t >= from && t < at)) continue;
    const iso = new Date(t).toISOString();
    series.set(`${iso} ${r.source}`, {
      at: iso,
      equity: r.equity,
      balance: r.balance,
      source: r.source,
    });
  }
  const breachBalance = evidence?.figures.balance ?? null;
  const equity = [...series.values()].sort((a, b) => a.at.localeCompare(b.at));
  equity.push({
    at: atIso,
    equity: v.equity,
    balance: breachBalance ?? Number.NaN,
    source: v.source,
  });
  if (breachBalance === null) equity[equity.length - 1]!.balance = v.equity;

  const base: Omit<BreachReport, "rule_text" | "floor" | "check" | "trading_day"> = {
    violation: {
      id: v.id,
      account_id: v.account_id,
      rule: v.rule,
      period: v.period,
      equity: v.equity,
      floor: v.floor,
      usage: v.usage,
      source: v.source,
      detected_at: atIso,
      rules_version: v.rules_version,
    },
    reading: {
      at: atIso,
      equity: v.equity,
      balance: breachBalance,
      source: v.source,
      source_text: sourceText(v, evidence),
      received_at: evidence?.cause?.received_at ?? null,
    },
    figures: evidence?.figures ?? null,
    equity,
  };

  if (!evidence) {
    notes.push(
      "No evidence was kept with this violation (it was recorded before evidence existed): the floor shown is the one recorded, not replayed.",
    );
    return {
      ...base,
      trading_day: null,
      rule_text: `${v.rule === "daily_loss" ? "Daily" : "Maximum"} loss limit (the rules in force were not kept with this violation).`,
      floor: {
        value: v.floor,
        reference: null,
        reference_text: "not kept",
        allowance: null,
        allowance_text: "not kept",
        currency_digits: DEFAULT_CURRENCY_DIGITS,
        breach_at: "below",
        steps: [],
        rules_version: v.rules_version,
        parameters: {},
      },
      check: {
        replayed: false,
        engine_floor: null,
        computed_floor: null,
        recorded_floor: v.floor,
        engine_breached: null,
        agrees: false,
        notes,
      },
    };
  }

  const rules = evidence.rules;
  const digits = rules.currency_digits ?? DEFAULT_CURRENCY_DIGITS;
  const unit = 10 ** -digits;
  const levels = levelsOf(rules, evidence, at, v.equity, adjustments, input.dayHighSeen ?? null);
  const steps = arithmetic(v.rule, rules, levels, v.equity);
  const reading: Reading = {
    at,
    equity: v.equity,
    balance: evidence.figures.balance,
    source: v.source === "event" ? "event" : "poll",
  };
  const ev = replay(rules, levels, reading);
  let engineFloor: number | null = null;
  let engineBreached: boolean | null = null;
  if (ev.applied) {
    engineFloor = v.rule === "daily_loss" ? ev.daily_floor : ev.max_floor;
    engineBreached = ev.violations.some((x) => x.rule === v.rule);
  } else {
    notes.push(`The engine did not apply the breaching reading when replayed (${ev.reason}).`);
  }
  const reset = rules.daily_reset;
  const day = tradingDayAt(at, reset.timezone, reset.hour, reset.minute ?? 0, reset.label);
  const $ = (n: number) => money(n, digits);
  const differ = (a: number, b: number) => !(Math.abs(a - b) < unit / 2);
  if (engineFloor !== null && differ(engineFloor, v.floor))
    notes.push(
      `The engine's replay puts the floor at ${$(engineFloor)}, the violation recorded ${$(v.floor)}.`,
    );
  if (engineFloor !== null && differ(engineFloor, steps.floor))
    notes.push(
      `The step-by-step arithmetic gives ${$(steps.floor)}, the engine ${$(engineFloor)}: the engine's figure is the one applied.`,
    );
  const keptFloor =
    v.rule === "daily_loss" ? evidence.figures.daily_floor : evidence.figures.max_floor;
  if (differ(keptFloor, v.floor))
    notes.push(
      `The evidence kept the floor ${$(keptFloor)}, the violation recorded ${$(v.floor)}.`,
    );
  if (engineBreached === false)
    notes.push(`The engine's replay does not breach ${v.rule} at equity ${$(v.equity)}.`);
  if (!evidence.cause)
    notes.push("The message or answer that carried the reading was not kept with the evidence.");

  return {
    ...base,
    trading_day: {
      day: day.day,
      starts_at: new Date(day.startMs).toISOString(),
      ends_at: new Date(day.endMs).toISOString(),
      timezone: reset.timezone,
    },
    rule_text: ruleText(v.rule, rules),
    floor: {
      value: engineFloor ?? v.floor,
      reference: steps.reference,
      reference_text: steps.referenceText,
      allowance: steps.allowance,
      allowance_text: steps.allowanceText,
      currency_digits: digits,
      breach_at: rules.breach_at ?? "below",
      steps: steps.steps,
      rules_version: evidence.rules_version ?? v.rules_version,
      parameters: parametersOf(v.rule, rules),
    },
    check: {
      replayed: ev.applied,
      engine_floor: engineFloor,
      computed_floor: steps.floor,
      recorded_floor: v.floor,
      engine_breached: engineBreached,
      agrees:
        engineFloor !== null &&
        engineBreached === true &&
        !differ(engineFloor, v.floor) &&
        !differ(engineFloor, steps.floor) &&
        !differ(keptFloor, v.floor),
      notes,
    },
  };
}
