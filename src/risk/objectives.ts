/**
 * Objectives (docs/rules.md, "Objectives"): a profit target, a minimum of trading days and a
 * consistency share. They never fail an account; the engine carries what they need from one
 * reading to the next and reports the moment all of them are first met.
 *
 * - A trading day counts when a position opened or closed during it, once the account's
 *   trades are read (docs/trades.md, "Trading days": {@link tradeDayLabels}, counted through
 *   {@link objectivesOf}'s `tradeDays`); before that, when the balance changed during it.
 * - A day's profit is its closing balance minus its opening balance; the best day is the
 *   largest, the day in progress included.
 * - Consistency: best day <= consistency_pct % of the total profit (balance - initial).
 */
import type { CompiledObjectives, CompiledRules } from "./compiled.ts";
import { compileRules } from "./compiled.ts";
import type { RuleParams } from "./params.ts";
import { tradingDayAt } from "./trading-day.ts";
import { makeObjectives } from "./state-shape.ts";
import type { ObjectivesState, RiskState } from "./types.ts";

/**
 * The trading days (in the firm's trading-day zone: the daily reset's `timezone`, `hour`,
 * `minute` and `label`) of the instants a position opened or closed, as
 * `<reset epoch>:<YYYY-MM-DD>`, each once, sorted. An instant that is not a finite number is
 * left out. Only the ingest of trades calls this, never the per-reading path.
 */
export function tradeDayLabels(
  instantsMs: readonly number[],
  params: Pick<RuleParams, "daily_reset">,
  resetEpoch = 0,
): string[] {
  const r = params.daily_reset;
  const days = new Set<string>();
  for (const at of instantsMs) {
    if (!Number.isFinite(at)) continue;
    days.add(`${resetEpoch}:${tradingDayAt(at, r.timezone, r.hour, r.minute ?? 0, r.label).day}`);
  }
  return [...days].sort();
}

/** How many of `labels` ({@link tradeDayLabels}) belong to reset epoch `resetEpoch`. */
export function tradeDaysIn(labels: readonly string[], resetEpoch: number): number {
  const prefix = `${resetEpoch}:`;
  let n = 0;
  for (const l of labels) if (l.startsWith(prefix)) n++;
  return n;
}

/** The bookkeeping of a day that opens at `openBalance`. */
export function openObjectives(openBalance: number, prior?: ObjectivesState): ObjectivesState {
  return makeObjectives(
    prior?.days ?? 0,
    prior?.best_day ?? 0,
    openBalance,
    false,
    prior?.met_at ?? null,
  );
}

/** Closes the day of `o` at `closingBalance` and opens the next at `openBalance`. */
export function rollObjectives(
  o: ObjectivesState,
  closingBalance: number,
  openBalance: number,
): ObjectivesState {
  const profit = closingBalance - o.open_balance;
  return makeObjectives(
    o.days + (o.traded ? 1 : 0),
    profit > o.best_day ? profit : o.best_day,
    openBalance,
    false,
    o.met_at,
  );
}

/** Progress of every objective, for `metrics.objectives`. */
export interface ObjectivesProgress {
  profit_target: {
    target: number;
    profit: number;
    on: "balance" | "equity";
    reached: boolean;
  } | null;
  trading_days: { counted: number; required: number; reached: boolean } | null;
  consistency: {
    best_day: number;
    total_profit: number;
    /** Best day / total profit, % (null while the total profit is not positive). */
    best_day_share: number | null;
    max_share: number;
    reached: boolean;
  } | null;
  /** True when every objective is met now. */
  met: boolean;
  /** ISO-8601 time when they were first all met (with no breach), else null. */
  met_at: string | null;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Whether every objective is met for the figures given, and their progress.
 * @param effectiveInitial initial_balance shifted by the adjustments applied.
 */
export function objectivesProgressOf(
  oc: CompiledObjectives,
  o: ObjectivesState,
  balance: number,
  equity: number,
  effectiveInitial: number,
  tradeDays: number | null = null,
): ObjectivesProgress {
  const todayProfit = balance - o.open_balance;
  const bestDay = todayProfit > o.best_day ? todayProfit : o.best_day;
  const counted = tradeDays ?? o.days + (o.traded ? 1 : 0);
  const totalProfit = balance - effectiveInitial;
  let met = true;
  let profit_target: ObjectivesProgress["profit_target"] = null;
  if (oc.target !== null) {
    const profit = (oc.targetOnEquity ? equity : balance) - effectiveInitial;
    const reached = profit >= oc.target - 1e-9;
    met &&= reached;
    profit_target = {
      target: oc.target,
      profit: round(profit, 8),
      on: oc.targetOnEquity ? "equity" : "balance",
      reached,
    };
  }
  let trading_days: ObjectivesProgress["trading_days"] = null;
  if (oc.minDays !== null) {
    const reached = counted >= oc.minDays;
    met &&= reached;
    trading_days = { counted, required: oc.minDays, reached };
  }
  let consistency: ObjectivesProgress["consistency"] = null;
  if (oc.consistency !== null) {
    const reached = totalProfit > 0 && bestDay <= oc.consistency * totalProfit + 1e-9;
    met &&= reached;
    consistency = {
      best_day: round(bestDay, 8),
      total_profit: round(totalProfit, 8),
      best_day_share: totalProfit > 0 ? round((bestDay * 100) / totalProfit, 4) : null,
      max_share: oc.consistency * 100,
      reached,
    };
  }
  return {
    profit_target,
    trading_days,
    consistency,
    met,
    met_at: o.met_at === null ? null : new Date(o.met_at).toISOString(),
  };
}

/**
 * True when every objective is met for these figures (the hot-path form of the above).
 * `tradeDays`: the trading days counted from trades; null counts the days the balance changed.
 */
export function objectivesMet(
  oc: CompiledObjectives,
  o: ObjectivesState,
  balance: number,
  equity: number,
  effectiveInitial: number,
  tradeDays: number | null = null,
): boolean {
  if (oc.target !== null) {
    const profit = (oc.targetOnEquity ? equity : balance) - effectiveInitial;
    if (!(profit >= oc.target - 1e-9)) return false;
  }
  if (oc.minDays !== null && (tradeDays ?? o.days + (o.traded ? 1 : 0)) < oc.minDays) return false;
  if (oc.consistency !== null) {
    const total = balance - effectiveInitial;
    const today = balance - o.open_balance;
    const best = today > o.best_day ? today : o.best_day;
    if (!(total > 0 && best <= oc.consistency * total + 1e-9)) return false;
  }
  return true;
}

/**
 * The objectives' progress for an account's state, or null when its rules have none.
 * `tradeDays`: the trading days counted from its trades once they are read (docs/trades.md,
 * "Trading days"); null counts the days the balance changed, as the engine does.
 */
export function objectivesOf(
  params: RuleParams,
  state: RiskState,
  tradeDays: number | null = null,
): ObjectivesProgress | null {
  const c: CompiledRules = compileRules(params);
  if (c.objectives === null) return null;
  const o = state.objectives ?? openObjectives(state.balance);
  return objectivesProgressOf(
    c.objectives,
    o,
    state.balance,
    state.equity,
    c.initial + (state.adjustment ?? 0),
    tradeDays,
  );
}

/**
 * Whether an ingest of trades meets the objectives now (docs/trades.md, "Trading days"): for
 * rules whose minimum of trading days is judged from trades (`daysFromTrades`), an account not
 * yet met whose stored state has nothing breached in its current periods, and whose stored
 * figures with `tradeDays` (the days counted from trades in the current reset epoch) meet
 * every objective. The caller records the moment once (`objectives_met_at` still null).
 */
export function objectivesMetByTrades(
  params: RuleParams,
  state: RiskState | null,
  tradeDays: number,
): boolean {
  if (state === null) return false;
  const c = compileRules(params);
  const oc = c.objectives;
  if (oc === null || !oc.daysFromTrades) return false;
  const o = state.objectives ?? openObjectives(state.balance);
  if (o.met_at !== null) return false;
  if (state.breached.daily_loss !== null || state.breached.max_loss !== null) return false;
  return objectivesMet(
    oc,
    o,
    state.balance,
    state.equity,
    c.initial + (state.adjustment ?? 0),
    tradeDays,
  );
}
