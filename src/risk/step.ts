/**
 * The per-reading path of the engine, in place: one reading moves the account's state object
 * itself, and what the reading means (floors, usage, violations, warnings, the monitoring
 * transition) is written into a {@link Step} record the caller owns and reuses. A reading
 * that neither breaches nor warns allocates nothing. The rules are those of docs/rules.md,
 * exactly as `evaluate` (evaluate.ts, the pure form built on this) applies them.
 *
 * Rules that are off cost nothing: each rule set runs one of two kernels, chosen by the rule
 * of state-shape.ts (`carriesVersion2Fields`). The version 1 kernel has no intraday high,
 * warnings, objectives or adjustments in it at all; the full kernel has them all.
 *
 * The caller owns the state: the engine changes its number and string fields in place and
 * replaces (never changes) its nested records (`breached`, `warned`, `objectives`), so one of
 * those may be shared between states. A state held elsewhere (stored, queued) must be a copy
 * (`copyState`) or serialized before the next reading.
 */
import {
  type CompiledRules,
  MAX_BALANCE_TRAILING,
  MAX_EOD_TRAILING,
  MAX_STATIC,
  REF_BALANCE,
  REF_EQUITY,
} from "./compiled.ts";
import { dailyAllowanceOf, dailyFloorOf, maxFloorOf, maxReferenceOf, usagePct } from "./floors.ts";
import { objectivesMet, openObjectives, rollObjectives } from "./objectives.ts";
import { readingTimeVerdict } from "./reading-time.ts";
import {
  FLOORS,
  type HeldState,
  carriesVersion2Fields,
  dropVersion2Fields,
  makeObjectives,
  makeWarned,
  newState,
} from "./state-shape.ts";
import { tradingDayAt } from "./trading-day.ts";
import {
  LIFETIME_PERIOD,
  type MonitoringState,
  type MonitoringTransition,
  type ObjectivesState,
  type ReadingSource,
  type RiskFigures,
  type RiskState,
  type Violation,
  type WarnedLevels,
  type Warning,
} from "./types.ts";

const TO_LIVE: MonitoringTransition = Object.freeze({ from: "polling", to: "live" });
const TO_POLLING: MonitoringTransition = Object.freeze({ from: "live", to: "polling" });
// Not frozen: a frozen object has a map of its own, and `warned` should have one map. Never
// changed: the engine replaces a `warned` record, it does not write into one.
const NONE_WARNED: WarnedLevels = makeWarned(0, 0);
// Shared, frozen empty results: nearly every reading breaches and warns nothing. Callers
// never append to them.
export const NO_VIOLATIONS = Object.freeze([]) as unknown as Violation[];
export const NO_WARNINGS = Object.freeze([]) as unknown as Warning[];

/** What one reading did; one record per caller, rewritten by every {@link stepInPlace}. */
export interface Step extends RiskFigures {
  /** The reading was applied (the state moved); else `reason` says why not (nothing moved). */
  applied: boolean;
  reason: "stale" | "invalid" | null;
  /** For `invalid` because of its time: `future` or `too_old` (see reading-time.ts). */
  detail: "future" | "too_old" | null;
  /** New breaches to record (the shared empty array almost always). */
  violations: Violation[];
  /** `warn_at_pct` levels newly reached (the shared empty array almost always). */
  warnings: Warning[];
  /** Monitoring change decided by the hysteresis band, or null. */
  transition: MonitoringTransition | null;
  /** The reading opened a new trading day. */
  rolled_over: boolean;
  /** Epoch ms when this reading met every objective (once), else null. */
  objectives_met_at: number | null;
  /**
   * The reading moved what the next reading depends on: anything in the state but the bare
   * figures (`equity`, `balance`, `last_at`): day, high-water mark, day high, adjustments,
   * breaches, warnings, objectives, monitoring. A caller that stores the state persists it
   * at once when this is true, and may batch the figures otherwise.
   */
  memory_moved: boolean;
}

/** A fresh step record (one per caller; reuse it). */
export function newStep(): Step {
  return {
    applied: false,
    reason: null,
    detail: null,
    daily_floor: 0.5,
    max_floor: 0.5,
    usage: { daily: 0.5, max: 0.5, overall: 0.5 },
    violations: NO_VIOLATIONS,
    warnings: NO_WARNINGS,
    transition: null,
    rolled_over: false,
    objectives_met_at: null,
    memory_moved: false,
  };
}

/** The day's start level from a balance and equity known at the boundary. */
export function dayStartLevel(c: CompiledRules, balance: number, equity: number): number {
  if (c.reference === REF_BALANCE) return balance;
  if (c.reference === REF_EQUITY) return equity;
  return equity > balance ? equity : balance;
}

/**
 * The state opened by an account's first reading: its trading day, `day_start` from the
 * reading (its balance, or equity when it has none), the high-water mark at initial_balance
 * (raised by the equity under `static` and `trailing`, by the balance under
 * `balance_trailing`), and nothing breached. It does not judge the reading.
 */
export function openState(
  c: CompiledRules,
  equity: number,
  readingBalance: number | null | undefined,
  at: number,
  monitoring: MonitoringState,
): RiskState {
  const balance = readingBalance ?? equity;
  const day = tradingDayAt(at, c.timezone, c.hour, c.minute, c.label);
  const initial = c.initial;
  const dayStart = dayStartLevel(c, balance, equity);
  const level =
    c.maxMode === MAX_EOD_TRAILING
      ? initial
      : c.maxMode === MAX_BALANCE_TRAILING
        ? balance
        : equity;
  const plain = c.plain;
  return newState({
    trading_day: day.day,
    day_start_ms: day.startMs,
    day_end_ms: day.endMs,
    day_start: dayStart,
    hwm: level > initial ? level : initial,
    balance,
    equity,
    last_at: at,
    monitoring,
    breached: { daily_loss: null, max_loss: null },
    day_high: !plain && c.dailyTrailing ? dayStart : undefined,
    warned: !plain && c.warnLevels.length > 0 ? NONE_WARNED : undefined,
    objectives: !plain && c.objectives !== null ? openObjectives(balance) : undefined,
  });
}

/**
 * Rolls `state`, in place, into the trading day that contains `atMs`. The new `day_start`
 * comes from the balance (and equity) known at the boundary: the reading's (`equity`,
 * `balance`) when it is stamped exactly at the boundary instant (that instant belongs to the
 * new day), else the figures last known before it. `eod_trailing` raises the high-water mark
 * to that balance; the daily breach mark and warnings clear; objectives close the day.
 * Pass NaN as `equity` for a roll without a reading.
 */
export function rollInPlace(
  c: CompiledRules,
  s: RiskState,
  atMs: number,
  equity: number,
  readingBalance: number | null | undefined,
): void {
  const day = tradingDayAt(atMs, c.timezone, c.hour, c.minute, c.label);
  const atBoundary = !Number.isNaN(equity) && atMs === day.startMs;
  const closing = s.balance;
  const balance = atBoundary ? (readingBalance ?? closing) : closing;
  const dayStart = dayStartLevel(c, balance, atBoundary ? equity : s.equity);
  s.trading_day = day.day;
  s.day_start_ms = day.startMs;
  s.day_end_ms = day.endMs;
  s.day_start = dayStart;
  if (c.maxMode === MAX_EOD_TRAILING && balance > s.hwm) s.hwm = balance;
  s.breached = { daily_loss: null, max_loss: s.breached.max_loss };
  if (!carriesVersion2Fields(c, s)) {
    dropVersion2Fields(s);
    return;
  }
  s.day_high = c.dailyTrailing ? dayStart : undefined;
  if (s.day_adjustment !== undefined) s.day_adjustment = 0;
  if (c.warnLevels.length > 0) s.warned = makeWarned(0, s.warned?.max_loss ?? 0);
  if (c.objectives !== null) {
    const prior = s.objectives;
    s.objectives =
      prior === undefined ? openObjectives(balance) : rollObjectives(prior, closing, balance);
  }
}

function refuse(
  out: Step,
  reason: "stale" | "invalid",
  detail: "future" | "too_old" | null,
): false {
  out.applied = false;
  out.reason = reason;
  out.detail = detail;
  out.violations = NO_VIOLATIONS;
  out.warnings = NO_WARNINGS;
  out.transition = null;
  out.rolled_over = false;
  out.objectives_met_at = null;
  out.memory_moved = false;
  return false;
}

/**
 * Applies one reading to `s` in place and writes what it means into `out`; returns
 * `out.applied`.
 *
 * - A reading with a non-finite number, or (when `nowMs`, the monitor's clock, is given) one
 *   stamped more than 5 minutes ahead of it or more than 24 hours behind it, is `invalid`.
 *   A reading older than the newest applied one (`at < last_at`; equal times apply), or from
 *   a trading day already closed (`at < day_start_ms`), is `stale`. Neither changes anything.
 * - A reading at or after `day_end_ms` first rolls the day over; one stamped exactly at the
 *   new boundary sets the new day's start with its own figures.
 * - A rule whose equity is below its floor (or at it, under `breach_at: at_or_below`), and
 *   whose current period is not yet marked in `breached`, yields one violation and is marked.
 * - Each `warn_at_pct` level a rule's usage reaches yields one warning per rule and period.
 * - The first reading at which every objective is met (with nothing breached) sets
 *   `objectives_met_at`, unless the trading days are counted from trades (`daysFromTrades`:
 *   the ingest of trades sets it then, docs/trades.md, "Trading days").
 * - Monitoring: polling -> live when overall usage >= live_enter_pct, live -> polling when
 *   it is < live_exit_pct, otherwise unchanged.
 * @param balance the reading's balance; when null or undefined the last known one stays.
 */
export function stepInPlace(
  c: CompiledRules,
  s: RiskState,
  equity: number,
  balance: number | null | undefined,
  at: number,
  source: ReadingSource,
  nowMs: number | undefined,
  out: Step,
): boolean {
  if (!(
    Number.isFinite(equity) &&
    Number.isFinite(at) &&
    (balance == null || Number.isFinite(balance))
  ))
    return refuse(out, "invalid", null);
  if (nowMs !== undefined) {
    const verdict = readingTimeVerdict(at, nowMs);
    if (verdict !== "ok") return refuse(out, "invalid", verdict);
  }
  if (at < s.last_at || at < s.day_start_ms) return refuse(out, "stale", null);
  let rolled = false;
  if (at >= s.day_end_ms) {
    rollInPlace(c, s, at, equity, balance);
    rolled = true;
  }
  out.applied = true;
  out.reason = null;
  out.detail = null;
  out.rolled_over = rolled;
  if (carriesVersion2Fields(c, s)) fullKernel(c, s, equity, balance ?? s.balance, at, source, out);
  else plainKernel(c, s, equity, balance ?? s.balance, at, source, out);
  if (rolled) out.memory_moved = true;
  return true;
}

/** The breaches of one reading; returns the new `breached` record (the same when none). */
function judgeBreaches(
  c: CompiledRules,
  s: RiskState,
  equity: number,
  at: number,
  source: ReadingSource,
  out: Step,
): RiskState["breached"] {
  const dailyFloor = out.daily_floor;
  const maxFloor = out.max_floor;
  let breached = s.breached;
  let violations = NO_VIOLATIONS;
  const dailyHit = c.inclusive ? equity <= dailyFloor : equity < dailyFloor;
  const maxHit = c.inclusive ? equity <= maxFloor : equity < maxFloor;
  if (dailyHit && breached.daily_loss !== s.trading_day) {
    breached = { daily_loss: s.trading_day, max_loss: breached.max_loss };
    violations = [
      {
        rule: "daily_loss",
        period: s.trading_day,
        equity,
        floor: dailyFloor,
        usage: out.usage.daily,
        at,
        source,
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
      floor: maxFloor,
      usage: out.usage.max,
      at,
      source,
    });
  }
  out.violations = violations;
  return breached;
}

/** The hysteresis band: moves `s.monitoring` and sets `out.transition`; true when it moved. */
function judgeMonitoring(c: CompiledRules, s: RiskState, overall: number, out: Step): boolean {
  if (s.monitoring === "polling") {
    if (overall >= c.enter) {
      s.monitoring = "live";
      out.transition = TO_LIVE;
      return true;
    }
  } else if (overall < c.exit) {
    s.monitoring = "polling";
    out.transition = TO_POLLING;
    return true;
  }
  out.transition = null;
  return false;
}

/** The daily floor for reference `ref`, from the state's memo when its key matches. */
function dailyFloorFor(c: CompiledRules, s: HeldState, ref: number, dayStart: number): number {
  const dayAdjustment = s.day_adjustment ?? 0;
  const memo = s[FLOORS];
  if (
    memo !== undefined &&
    memo.dailyRef === ref &&
    memo.dayStart === dayStart &&
    memo.dayAdjustment === dayAdjustment &&
    memo.dailyRules === c
  )
    return memo.dailyFloor;
  const floor = dailyFloorOf(c, ref, dailyAllowanceOf(c, dayStart, dayAdjustment));
  if (memo !== undefined) {
    memo.dailyRules = c;
    memo.dailyRef = ref;
    memo.dayStart = dayStart;
    memo.dayAdjustment = dayAdjustment;
    memo.dailyFloor = floor;
  }
  return floor;
}

/** The max floor for `hwm`, from the state's memo when its key matches. */
function maxFloorFor(c: CompiledRules, s: HeldState, hwm: number, adjustment: number): number {
  // A static rule without adjustments has one floor per rule set (compiled.ts).
  if (adjustment === 0 && c.maxMode === MAX_STATIC) return c.staticMaxFloor;
  const memo = s[FLOORS];
  if (
    memo !== undefined &&
    memo.hwm === hwm &&
    memo.adjustment === adjustment &&
    memo.maxRules === c
  )
    return memo.maxFloor;
  const floor = maxFloorOf(c, hwm, adjustment);
  if (memo !== undefined) {
    memo.maxRules = c;
    memo.hwm = hwm;
    memo.adjustment = adjustment;
    memo.maxFloor = floor;
  }
  return floor;
}

/** The high-water mark after a reading. */
function nextHwm(c: CompiledRules, hwm: number, equity: number, balance: number): number {
  const maxMode = c.maxMode;
  if (maxMode === MAX_BALANCE_TRAILING) return balance > hwm ? balance : hwm;
  if (maxMode !== MAX_EOD_TRAILING && equity > hwm) return equity;
  return hwm;
}

/**
 * The version 1 kernel: a rule set without an intraday-high daily rule, warnings or
 * objectives, on a state without adjustments. Leaves the version 2 fields `undefined`.
 */
function plainKernel(
  c: CompiledRules,
  s: RiskState,
  equity: number,
  balance: number,
  at: number,
  source: ReadingSource,
  out: Step,
): void {
  const prevHwm = s.hwm;
  const hwm = nextHwm(c, prevHwm, equity, balance);
  const dayStart = s.day_start;
  const dailyFloor = dailyFloorFor(c, s, dayStart, dayStart);
  const maxFloor = maxFloorFor(c, s, hwm, 0);
  const daily = usagePct(dayStart, dailyFloor, equity);
  const max = usagePct(maxReferenceOf(c, hwm, 0), maxFloor, equity);
  const overall = daily > max ? daily : max;
  out.daily_floor = dailyFloor;
  out.max_floor = maxFloor;
  const usage = out.usage;
  usage.daily = daily;
  usage.max = max;
  usage.overall = overall;
  out.warnings = NO_WARNINGS;
  out.objectives_met_at = null;

  const breached = judgeBreaches(c, s, equity, at, source, out);
  let moved = dropVersion2Fields(s);
  if (breached !== s.breached) {
    moved ||=
      breached.daily_loss !== s.breached.daily_loss || breached.max_loss !== s.breached.max_loss;
    s.breached = breached;
  }
  if (hwm !== prevHwm) {
    s.hwm = hwm;
    moved = true;
  }
  s.balance = balance;
  s.equity = equity;
  s.last_at = at;
  if (judgeMonitoring(c, s, overall, out)) moved = true;
  out.memory_moved = moved;
}

/** Warning levels of `rule` reached from index `from`, appended to `out`; returns the new count. */
function reachLevels(
  levels: readonly number[],
  rule: "daily_loss" | "max_loss",
  period: string,
  usage: number,
  from: number,
  at: number,
  source: ReadingSource,
  out: Warning[],
): number {
  let count = from;
  while (count < levels.length && usage >= levels[count]!) {
    out.push({ rule, period, level: levels[count]!, usage, at, source });
    count++;
  }
  return count;
}

/** The full kernel: every version 2 rule, and adjustments. */
function fullKernel(
  c: CompiledRules,
  s: RiskState,
  equity: number,
  balance: number,
  at: number,
  source: ReadingSource,
  out: Step,
): void {
  const prevHwm = s.hwm;
  const prevBalance = s.balance;
  const hwm = nextHwm(c, prevHwm, equity, balance);
  const adjustment = s.adjustment ?? 0;
  const dayStart = s.day_start;

  const prevDayHigh = s.day_high;
  let dayHigh = prevDayHigh;
  let dailyRef = dayStart;
  if (c.dailyTrailing) {
    if (dayHigh === undefined || dayHigh < dayStart) dayHigh = dayStart;
    if (equity > dayHigh) dayHigh = equity;
    dailyRef = dayHigh;
  }
  const dailyFloor = dailyFloorFor(c, s, dailyRef, dayStart);
  const maxFloor = maxFloorFor(c, s, hwm, adjustment);
  const daily = usagePct(dailyRef, dailyFloor, equity);
  const max = usagePct(maxReferenceOf(c, hwm, adjustment), maxFloor, equity);
  const overall = daily > max ? daily : max;
  out.daily_floor = dailyFloor;
  out.max_floor = maxFloor;
  const usage = out.usage;
  usage.daily = daily;
  usage.max = max;
  usage.overall = overall;

  const prevBreached = s.breached;
  const breached = judgeBreaches(c, s, equity, at, source, out);

  const prevWarned = s.warned;
  let warned = prevWarned;
  let warnings = NO_WARNINGS;
  const levels = c.warnLevels;
  if (levels.length > 0) {
    const was = warned ?? NONE_WARNED;
    // The next level of each rule; an array is built only when one is reached (rarely).
    const nextDaily = was.daily_loss < levels.length ? levels[was.daily_loss]! : Infinity;
    const nextMax = was.max_loss < levels.length ? levels[was.max_loss]! : Infinity;
    if (daily >= nextDaily || max >= nextMax) {
      const list: Warning[] = [];
      const d = reachLevels(
        levels,
        "daily_loss",
        s.trading_day,
        daily,
        was.daily_loss,
        at,
        source,
        list,
      );
      const m = reachLevels(
        levels,
        "max_loss",
        LIFETIME_PERIOD,
        max,
        was.max_loss,
        at,
        source,
        list,
      );
      warnings = list;
      warned = makeWarned(d, m);
    } else if (warned === undefined) {
      warned = NONE_WARNED;
    }
  }
  out.warnings = warnings;

  const prevObjectives = s.objectives;
  let objectives: ObjectivesState | undefined = prevObjectives;
  let metAt: number | null = null;
  const oc = c.objectives;
  if (oc !== null) {
    let o = objectives ?? openObjectives(prevBalance);
    if (balance !== prevBalance && !o.traded) {
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
      metAt = at;
    }
    objectives = o;
  }
  out.objectives_met_at = metAt;

  let moved = false;
  if (hwm !== prevHwm) {
    s.hwm = hwm;
    moved = true;
  }
  if (breached !== prevBreached) {
    s.breached = breached;
    moved ||=
      breached.daily_loss !== prevBreached.daily_loss ||
      breached.max_loss !== prevBreached.max_loss;
  }
  if (dayHigh !== prevDayHigh) {
    s.day_high = dayHigh;
    moved = true;
  }
  if (warned !== prevWarned) {
    s.warned = warned;
    moved = true;
  }
  if (objectives !== prevObjectives) {
    s.objectives = objectives;
    moved = true;
  }
  s.balance = balance;
  s.equity = equity;
  s.last_at = at;
  if (judgeMonitoring(c, s, overall, out)) moved = true;
  out.memory_moved = moved;
}
