/**
 * A rule set compiled once for the per-reading path: every version 2 default filled in (so a
 * rule set stored before version 2, or one that leaves a field out, reads as version 1), and
 * every figure that does not change between readings computed ahead: fixed allowances, the
 * rounding scale, mode flags as small integers. Cached per params object.
 */
import { roundMoney } from "./money.ts";
import { DEFAULT_CURRENCY_DIGITS, type DayLabel, type RuleParams } from "./params.ts";

/** Max-loss modes as integers, compared on the hot path. */
export const MAX_STATIC = 0;
export const MAX_TRAILING = 1;
export const MAX_EOD_TRAILING = 2;
export const MAX_BALANCE_TRAILING = 3;

/** Daily references as integers. */
export const REF_BALANCE = 0;
export const REF_MAX_BALANCE_EQUITY = 1;
export const REF_EQUITY = 2;

/** Compiled objectives: absent parts are null. */
export interface CompiledObjectives {
  /** Profit needed (account currency), or null without a profit target. */
  readonly target: number | null;
  /** Measure the target on equity (else balance). */
  readonly targetOnEquity: boolean;
  /** Trading days required, or null. */
  readonly minDays: number | null;
  /**
   * The minimum of trading days is judged from trades, not per reading: the rules have
   * `min_trading_days` and `trade_rules` (the accounts whose trades are read, docs/trades.md,
   * "Trading days"), so the engine never sets `objectives_met_at`; the ingest of trades does.
   */
  readonly daysFromTrades: boolean;
  /** Largest share (0-1) of the total profit the best day may hold, or null. */
  readonly consistency: number | null;
}

/** What the engine needs of a rule set, precomputed. */
export interface CompiledRules {
  readonly params: RuleParams;
  readonly initial: number;
  /** 10 ** currency_digits: floors are rounded to 1 / scale. */
  readonly scale: number;
  /** `breach_at: at_or_below`. */
  readonly inclusive: boolean;
  readonly reference: number;
  /** The daily allowance when it does not depend on the day start, else NaN. */
  readonly dailyAllowance: number;
  /** The % limit when it is a percent of the day start, else 0. */
  readonly dailyDayStartPct: number;
  /** `daily_loss.mode: trailing_intraday_high`. */
  readonly dailyTrailing: boolean;
  readonly timezone: string;
  readonly hour: number;
  readonly minute: number;
  readonly label: DayLabel;
  readonly maxMode: number;
  /** The max allowance when fixed, else NaN (`percent_of_peak`). */
  readonly maxAllowance: number;
  /** The % limit under `trail: percent_of_peak`, else 0. */
  readonly maxPeakPct: number;
  /** `lock_at_initial` on a trailing mode. */
  readonly lock: boolean;
  /** The max floor of a `static` rule before any adjustment (NaN for trailing modes). */
  readonly staticMaxFloor: number;
  readonly warnLevels: readonly number[];
  readonly objectives: CompiledObjectives | null;
  /**
   * True when the rule set carries nothing beyond the version 1 state (no intraday-high
   * daily rule, no warnings, no objectives): its states leave the version 2 fields
   * `undefined` (same shape as every other state; JSON leaves them out).
   */
  readonly plain: boolean;
  readonly enter: number;
  readonly exit: number;
  /** `daily_loss.severity: soft`: its breach is recorded and fails nothing. */
  readonly dailySoft: boolean;
  /** `max_loss.severity: soft`. */
  readonly maxSoft: boolean;
}

const cache = new WeakMap<RuleParams, CompiledRules>();

// The last params looked up: the live monitor interns rule sets, so consecutive readings
// often share one params object and skip the WeakMap's hash lookup.
let lastParams: RuleParams | null = null;
let lastCompiled: CompiledRules | null = null;

/** The compiled form of `params`, built once per params object (treat params as immutable). */
export function compileRules(params: RuleParams): CompiledRules {
  if (params === lastParams) return lastCompiled!;
  let compiled = cache.get(params);
  if (compiled === undefined) {
    compiled = build(params);
    cache.set(params, compiled);
  }
  lastParams = params;
  lastCompiled = compiled;
  return compiled;
}

function modeOf(mode: RuleParams["max_loss"]["mode"]): number {
  switch (mode) {
    case "trailing":
      return MAX_TRAILING;
    case "eod_trailing":
      return MAX_EOD_TRAILING;
    case "balance_trailing":
      return MAX_BALANCE_TRAILING;
    default:
      return MAX_STATIC;
  }
}

function referenceOf(reference: RuleParams["daily_reference"]): number {
  if (reference === "max_balance_equity") return REF_MAX_BALANCE_EQUITY;
  if (reference === "equity") return REF_EQUITY;
  return REF_BALANCE;
}

function build(params: RuleParams): CompiledRules {
  const initial = params.initial_balance;
  const daily = params.daily_loss;
  const onDayStart = daily.unit === "percent" && daily.basis === "day_start";
  // limit * base / 100 rather than limit / 100 * base: exact for whole numbers (5 * 100000 / 100).
  const dailyAllowance =
    daily.unit === "amount" ? daily.limit : onDayStart ? NaN : (daily.limit * initial) / 100;
  const max = params.max_loss;
  const maxMode = modeOf(max.mode);
  const peak = max.trail === "percent_of_peak" && maxMode !== MAX_STATIC && max.unit === "percent";
  const maxAllowance = peak ? NaN : max.unit === "amount" ? max.limit : (max.limit * initial) / 100;
  const digits = params.currency_digits ?? DEFAULT_CURRENCY_DIGITS;
  const objectives = params.objectives;
  let compiledObjectives: CompiledObjectives | null = null;
  if (objectives !== undefined) {
    const target = objectives.profit_target;
    compiledObjectives = {
      target:
        target === undefined
          ? null
          : target.unit === "amount"
            ? target.limit
            : (target.limit * initial) / 100,
      targetOnEquity: target?.on === "equity",
      minDays: objectives.min_trading_days ?? null,
      daysFromTrades: objectives.min_trading_days !== undefined && params.trade_rules !== undefined,
      consistency:
        objectives.consistency_pct === undefined ? null : objectives.consistency_pct / 100,
    };
  }
  const scale = 10 ** digits;
  const fixedMax = Number.isNaN(maxAllowance) ? NaN : Math.max(0, maxAllowance);
  return {
    params,
    initial,
    scale,
    inclusive: params.breach_at === "at_or_below",
    reference: referenceOf(params.daily_reference),
    dailyAllowance: Number.isNaN(dailyAllowance) ? NaN : Math.max(0, dailyAllowance),
    dailyDayStartPct: onDayStart ? daily.limit : 0,
    dailyTrailing: daily.mode === "trailing_intraday_high",
    timezone: params.daily_reset.timezone,
    hour: params.daily_reset.hour,
    minute: params.daily_reset.minute ?? 0,
    label: params.daily_reset.label ?? "open_date",
    maxMode,
    maxAllowance: fixedMax,
    maxPeakPct: peak ? max.limit : 0,
    lock: max.lock_at_initial && maxMode !== MAX_STATIC,
    warnLevels: params.warn_at_pct ?? [],
    objectives: compiledObjectives,
    plain:
      daily.mode !== "trailing_intraday_high" &&
      (params.warn_at_pct ?? []).length === 0 &&
      compiledObjectives === null,
    enter: params.live_enter_pct,
    exit: params.live_exit_pct,
    dailySoft: daily.severity === "soft",
    maxSoft: max.severity === "soft",
    // As maxFloorOf computes it: rounded, never above its reference (initial_balance).
    staticMaxFloor:
      maxMode === MAX_STATIC
        ? Math.min(roundMoney(initial - fixedMax, scale, initial), initial)
        : NaN,
  };
}
