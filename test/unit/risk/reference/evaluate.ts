/**
 * REFERENCE IMPLEMENTATION, kept for the property tests only (engine-agreement.test.ts): the
 * risk engine's reducer as it was before the in-place engine (src/risk/step.ts), at commit
 * bd2491b, unchanged but for its import paths and `memoryMoved` (then in
 * src/live/core/event-path.ts). It builds a new state per reading. Not used by src.
 */
/**
 * The per-reading reducer: (params, state, reading) -> new state, floors, usage, violations,
 * warnings, the objectives-met moment and the monitoring transition. Pure: the input state is
 * never changed. On the per-event path it only compares and multiplies numbers over rules
 * compiled once per rule set (compiled.ts); Intl is touched only when a trading day ends.
 */
import {
  type CompiledRules,
  MAX_BALANCE_TRAILING,
  MAX_EOD_TRAILING,
  REF_BALANCE,
  REF_EQUITY,
  compileRules,
} from "../../../../src/risk/compiled.ts";
import {
  dailyAllowanceOf,
  dailyFloorOf,
  maxFloorOf,
  maxReferenceOf,
  usagePct,
} from "../../../../src/risk/floors.ts";
import { objectivesMet, openObjectives, rollObjectives } from "../../../../src/risk/objectives.ts";
import type { RuleParams } from "../../../../src/risk/params.ts";
import { readingTimeVerdict } from "../../../../src/risk/reading-time.ts";
import { makeApplied } from "../../../../src/risk/result-shape.ts";
import { makeFullState, makeObjectives, makeState } from "./state-shape.ts";
import { tradingDayAt } from "../../../../src/risk/trading-day.ts";
import {
  type Evaluation,
  LIFETIME_PERIOD,
  type MonitoringState,
  type MonitoringTransition,
  type ObjectivesState,
  type Reading,
  type RiskState,
  type Violation,
  type WarnedLevels,
  type Warning,
} from "../../../../src/risk/types.ts";

const TO_LIVE: MonitoringTransition = Object.freeze({ from: "polling", to: "live" });
const TO_POLLING: MonitoringTransition = Object.freeze({ from: "live", to: "polling" });
// Not frozen: a frozen object has a map of its own, and `warned` should have one map.
const NONE_WARNED: WarnedLevels = { daily_loss: 0, max_loss: 0 };
// Shared, frozen empty results: nearly every reading breaches and warns nothing, and an
// allocation per reading is measurable on the per-event path. Callers never append to them.
const NO_VIOLATIONS = Object.freeze([]) as unknown as Violation[];
const NO_WARNINGS = Object.freeze([]) as unknown as Warning[];

/** The day's start level from a balance and equity known at the boundary. */
function dayStartLevel(c: CompiledRules, balance: number, equity: number): number {
  if (c.reference === REF_BALANCE) return balance;
  if (c.reference === REF_EQUITY) return equity;
  return equity > balance ? equity : balance;
}

/**
 * The state opened by an account's first reading: its trading day, `day_start` from the
 * reading (its balance, or equity when it has none), the high-water mark at initial_balance
 * (raised by the equity under `static` and `trailing`, by the balance under
 * `balance_trailing`), and nothing breached. It does not judge the reading: pass a null
 * state to {@link evaluate} to open and judge in one step.
 */
export function initialState(
  params: RuleParams,
  reading: Reading,
  monitoring: MonitoringState = "polling",
): RiskState {
  const c = compileRules(params);
  const balance = reading.balance ?? reading.equity;
  const day = tradingDayAt(reading.at, c.timezone, c.hour, c.minute, c.label);
  const initial = c.initial;
  const dayStart = dayStartLevel(c, balance, reading.equity);
  const level =
    c.maxMode === MAX_EOD_TRAILING
      ? initial
      : c.maxMode === MAX_BALANCE_TRAILING
        ? balance
        : reading.equity;
  return makeState(
    day.day,
    day.startMs,
    day.endMs,
    dayStart,
    level > initial ? level : initial,
    balance,
    reading.equity,
    reading.at,
    monitoring,
    { daily_loss: null, max_loss: null },
    c.plain
      ? null
      : {
          day_high: c.dailyTrailing ? dayStart : undefined,
          adjustment: undefined,
          adjustment_id: undefined,
          day_adjustment: undefined,
          warned: c.warnLevels.length > 0 ? NONE_WARNED : undefined,
          objectives: c.objectives !== null ? openObjectives(balance) : undefined,
        },
  );
}

/**
 * Rolls `state` into the trading day that contains `atMs`. The new `day_start` comes from the
 * balance (and equity) known at the boundary: the `boundary` reading's when it is stamped
 * exactly at the boundary instant (that instant belongs to the new day), else the figures last
 * known before it. `eod_trailing` raises the high-water mark to that balance; the daily breach
 * mark and warnings clear; objectives close the day.
 */
function rollTo(c: CompiledRules, state: RiskState, atMs: number, boundary?: Reading): RiskState {
  const day = tradingDayAt(atMs, c.timezone, c.hour, c.minute, c.label);
  const atBoundary = boundary !== undefined && boundary.at === day.startMs;
  const balance = atBoundary ? (boundary.balance ?? state.balance) : state.balance;
  const equity = atBoundary ? boundary.equity : state.equity;
  const dayStart = dayStartLevel(c, balance, equity);
  const prior = state.objectives;
  return makeState(
    day.day,
    day.startMs,
    day.endMs,
    dayStart,
    c.maxMode === MAX_EOD_TRAILING && balance > state.hwm ? balance : state.hwm,
    state.balance,
    state.equity,
    state.last_at,
    state.monitoring,
    { daily_loss: null, max_loss: state.breached.max_loss },
    c.plain && state.adjustment === undefined
      ? null
      : {
          day_high: c.dailyTrailing ? dayStart : undefined,
          adjustment: state.adjustment,
          adjustment_id: state.adjustment_id,
          day_adjustment: state.day_adjustment === undefined ? undefined : 0,
          warned:
            c.warnLevels.length > 0
              ? { daily_loss: 0, max_loss: state.warned?.max_loss ?? 0 }
              : state.warned,
          objectives:
            c.objectives === null
              ? prior
              : prior === undefined
                ? openObjectives(balance)
                : rollObjectives(prior, state.balance, balance),
        },
  );
}

/**
 * Rolls `state` into the trading day that contains `nowMs`, without a reading (a heartbeat at
 * the boundary). The new `day_start` comes from the balance (and equity) last known, which
 * were known before the boundary. Returns `state` itself when `nowMs` is before its day's end.
 */
export function rollover(params: RuleParams, state: RiskState, nowMs: number): RiskState {
  if (nowMs < state.day_end_ms) return state;
  return rollTo(compileRules(params), state, nowMs);
}

function isFiniteReading(reading: Reading): boolean {
  const balance = reading.balance;
  return (
    Number.isFinite(reading.equity) &&
    Number.isFinite(reading.at) &&
    (balance == null || Number.isFinite(balance))
  );
}

/** New warnings for `rule` whose usage is `usage`, from level index `from`; returns the new count. */
function reachLevels(
  c: CompiledRules,
  rule: "daily_loss" | "max_loss",
  period: string,
  usage: number,
  from: number,
  reading: Reading,
  out: Warning[],
): number {
  const levels = c.warnLevels;
  let count = from;
  while (count < levels.length && usage >= levels[count]!) {
    out.push({
      rule,
      period,
      level: levels[count]!,
      usage,
      at: reading.at,
      source: reading.source,
    });
    count++;
  }
  return count;
}

/**
 * Applies one reading to an account.
 *
 * - A null state opens the account at this reading (see {@link initialState}).
 * - A reading with a non-finite number, or (when `nowMs`, the monitor's clock, is given) one
 *   stamped more than 5 minutes ahead of it or more than 24 hours behind it, is `invalid`.
 *   A reading older than the newest applied one (`at < last_at`; equal times apply), or from
 *   a trading day already closed (`at < day_start_ms`), is `stale`. Neither changes anything.
 * - A reading at or after `day_end_ms` first rolls the day over; one stamped exactly at the
 *   new boundary sets the new day's start with its own figures.
 * - A rule whose equity is below its floor (or at it, under `breach_at: at_or_below`), and
 *   whose current period is not yet marked in `state.breached`, yields one
 *   {@link Violation} and is marked.
 * - Each `warn_at_pct` level a rule's usage reaches yields one warning per rule and period.
 * - The first reading at which every objective is met (with nothing breached) sets
 *   `objectives_met_at`.
 * - Monitoring: polling -> live when overall usage >= live_enter_pct, live -> polling when
 *   it is < live_exit_pct, otherwise unchanged.
 */
export function evaluate(
  params: RuleParams,
  state: RiskState | null | undefined,
  reading: Reading,
  nowMs?: number,
): Evaluation {
  return evaluateCompiled(compileRules(params), state, reading, nowMs);
}

/** {@link evaluate} over rules compiled with `compileRules` (the per-event path). */
export function evaluateCompiled(
  c: CompiledRules,
  state: RiskState | null | undefined,
  reading: Reading,
  nowMs?: number,
): Evaluation {
  if (!isFiniteReading(reading)) {
    return { applied: false, reason: "invalid", state: state ?? null };
  }
  const at = reading.at;
  if (nowMs !== undefined) {
    const verdict = readingTimeVerdict(at, nowMs);
    if (verdict !== "ok") {
      return { applied: false, reason: "invalid", detail: verdict, state: state ?? null };
    }
  }
  let prev: RiskState;
  let rolled_over = false;
  if (state == null) {
    prev = initialState(c.params, reading);
  } else if (at < state.last_at || at < state.day_start_ms) {
    return { applied: false, reason: "stale", state };
  } else if (at >= state.day_end_ms) {
    prev = rollTo(c, state, at, reading);
    rolled_over = true;
  } else {
    prev = state;
  }

  const equity = reading.equity;
  const balance = reading.balance ?? prev.balance;
  const maxMode = c.maxMode;
  let hwm = prev.hwm;
  if (maxMode === MAX_BALANCE_TRAILING) {
    if (balance > hwm) hwm = balance;
  } else if (maxMode !== MAX_EOD_TRAILING && equity > hwm) {
    hwm = equity;
  }
  const adjustment = prev.adjustment ?? 0;

  let dayHigh = prev.day_high;
  let dailyRef = prev.day_start;
  if (c.dailyTrailing) {
    if (dayHigh === undefined || dayHigh < prev.day_start) dayHigh = prev.day_start;
    if (equity > dayHigh) dayHigh = equity;
    dailyRef = dayHigh;
  }
  const daily_floor = dailyFloorOf(
    c,
    dailyRef,
    dailyAllowanceOf(c, prev.day_start, prev.day_adjustment ?? 0),
  );
  const max_floor = maxFloorOf(c, hwm, adjustment);
  const daily = usagePct(dailyRef, daily_floor, equity);
  const max = usagePct(maxReferenceOf(c, hwm, adjustment), max_floor, equity);
  const overall = daily > max ? daily : max;

  let breached = prev.breached;
  let violations: Violation[] = NO_VIOLATIONS;
  const dailyHit = c.inclusive ? equity <= daily_floor : equity < daily_floor;
  const maxHit = c.inclusive ? equity <= max_floor : equity < max_floor;
  if (dailyHit && breached.daily_loss !== prev.trading_day) {
    breached = { daily_loss: prev.trading_day, max_loss: breached.max_loss };
    violations = [
      {
        rule: "daily_loss",
        period: prev.trading_day,
        equity,
        floor: daily_floor,
        usage: daily,
        at,
        source: reading.source,
      },
    ];
  }
  if (maxHit && breached.max_loss !== LIFETIME_PERIOD) {
    breached = { daily_loss: breached.daily_loss, max_loss: LIFETIME_PERIOD };
    if (violations === NO_VIOLATIONS) violations = [];
    violations.push({
      rule: "max_loss",
      period: LIFETIME_PERIOD,
      equity,
      floor: max_floor,
      usage: max,
      at,
      source: reading.source,
    });
  }

  let warned = prev.warned;
  let warnings: Warning[] = NO_WARNINGS;
  const levels = c.warnLevels;
  if (levels.length > 0) {
    const was = warned ?? NONE_WARNED;
    // The next level of each rule; an array is built only when one is reached (rarely).
    const nextDaily = was.daily_loss < levels.length ? levels[was.daily_loss]! : Infinity;
    const nextMax = was.max_loss < levels.length ? levels[was.max_loss]! : Infinity;
    if (daily >= nextDaily || max >= nextMax) {
      const out: Warning[] = [];
      const d = reachLevels(c, "daily_loss", prev.trading_day, daily, was.daily_loss, reading, out);
      const m = reachLevels(c, "max_loss", LIFETIME_PERIOD, max, was.max_loss, reading, out);
      warnings = out;
      warned = { daily_loss: d, max_loss: m };
    } else if (warned === undefined) {
      warned = NONE_WARNED;
    }
  }

  let objectives: ObjectivesState | undefined = prev.objectives;
  let objectives_met_at: number | null = null;
  const oc = c.objectives;
  if (oc !== null) {
    let o = objectives ?? openObjectives(prev.balance);
    if (balance !== prev.balance && !o.traded) {
      o = makeObjectives(o.days, o.best_day, o.open_balance, true, o.met_at);
    }
    if (
      o.met_at === null &&
      !oc.daysFromTrades &&
      breached.daily_loss === null &&
      breached.max_loss === null &&
      objectivesMet(oc, o, balance, equity, c.initial + adjustment)
    ) {
      o = makeObjectives(o.days, o.best_day, o.open_balance, o.traded, at);
      objectives_met_at = at;
    }
    objectives = o;
  }

  let monitoring = prev.monitoring;
  let transition: MonitoringTransition | null = null;
  if (monitoring === "polling") {
    if (overall >= c.enter) {
      monitoring = "live";
      transition = TO_LIVE;
    }
  } else if (overall < c.exit) {
    monitoring = "polling";
    transition = TO_POLLING;
  }

  return makeApplied(
    c.plain && prev.adjustment === undefined
      ? makeState(
          prev.trading_day,
          prev.day_start_ms,
          prev.day_end_ms,
          prev.day_start,
          hwm,
          balance,
          equity,
          at,
          monitoring,
          breached,
          null,
        )
      : makeFullState(
          prev.trading_day,
          prev.day_start_ms,
          prev.day_end_ms,
          prev.day_start,
          hwm,
          balance,
          equity,
          at,
          monitoring,
          breached,
          dayHigh,
          prev.adjustment,
          prev.adjustment_id,
          prev.day_adjustment,
          warned,
          objectives,
        ),
    daily_floor,
    max_floor,
    daily,
    max,
    overall,
    violations,
    transition,
    rolled_over,
    warnings,
    objectives_met_at,
  );
}

/**
 * True when a reading moved what the next reading depends on (anything but `equity`,
 * `balance`, `last_at`), as the live monitor decided it before the engine reported it.
 */
export function memoryMoved(prev: RiskState, next: RiskState): boolean {
  return (
    prev.hwm !== next.hwm ||
    prev.day_start !== next.day_start ||
    prev.trading_day !== next.trading_day ||
    prev.day_start_ms !== next.day_start_ms ||
    prev.day_end_ms !== next.day_end_ms ||
    prev.monitoring !== next.monitoring ||
    prev.day_high !== next.day_high ||
    prev.adjustment !== next.adjustment ||
    prev.adjustment_id !== next.adjustment_id ||
    prev.day_adjustment !== next.day_adjustment ||
    prev.breached.daily_loss !== next.breached.daily_loss ||
    prev.breached.max_loss !== next.breached.max_loss ||
    prev.warned !== next.warned ||
    prev.objectives !== next.objectives
  );
}
