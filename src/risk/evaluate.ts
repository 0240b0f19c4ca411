/**
 * The per-reading reducer: (params, state, reading) -> new state, floors, usage, violations
 * and the monitoring transition. Pure: the input state is never changed. On the per-event
 * path it only compares and multiplies numbers; Intl is touched only when a trading day ends.
 */
import { dailyFloor, maxFloor, maxReference, usagePct } from "./floors.ts";
import type { RuleParams } from "./params.ts";
import { tradingDayAt } from "./trading-day.ts";
import {
  type Evaluation,
  LIFETIME_PERIOD,
  type MonitoringState,
  type MonitoringTransition,
  type Reading,
  type RiskState,
  type Violation,
} from "./types.ts";

const TO_LIVE: MonitoringTransition = Object.freeze({ from: "polling", to: "live" });
const TO_POLLING: MonitoringTransition = Object.freeze({ from: "live", to: "polling" });

/** The day's start level from a balance and equity known at the boundary. */
function dayStartLevel(params: RuleParams, balance: number, equity: number): number {
  return params.daily_reference === "max_balance_equity" && equity > balance ? equity : balance;
}

/**
 * The state opened by an account's first reading: its trading day, `day_start` from the
 * reading (its balance, or equity when it has none), the high-water mark at initial_balance
 * (raised by the equity except under `eod_trailing`), and nothing breached. It does not judge
 * the reading: pass a null state to {@link evaluate} to open and judge in one step.
 */
export function initialState(
  params: RuleParams,
  reading: Reading,
  monitoring: MonitoringState = "polling",
): RiskState {
  const balance = reading.balance ?? reading.equity;
  const day = tradingDayAt(reading.at, params.daily_reset.timezone, params.daily_reset.hour);
  const initial = params.initial_balance;
  return {
    trading_day: day.day,
    day_start_ms: day.startMs,
    day_end_ms: day.endMs,
    day_start: dayStartLevel(params, balance, reading.equity),
    hwm:
      params.max_loss.mode === "eod_trailing" || reading.equity <= initial
        ? initial
        : reading.equity,
    balance,
    equity: reading.equity,
    last_at: reading.at,
    monitoring,
    breached: { daily_loss: null, max_loss: null },
  };
}

/**
 * Rolls `state` into the trading day that contains `nowMs`, without a reading (a heartbeat at
 * the boundary). The new `day_start` comes from the balance (and equity) last known, which
 * were known before the boundary; `eod_trailing` raises the high-water mark to that balance;
 * the daily breach mark clears. Returns `state` itself when `nowMs` is before its day's end.
 */
export function rollover(params: RuleParams, state: RiskState, nowMs: number): RiskState {
  if (nowMs < state.day_end_ms) return state;
  const day = tradingDayAt(nowMs, params.daily_reset.timezone, params.daily_reset.hour);
  return {
    ...state,
    trading_day: day.day,
    day_start_ms: day.startMs,
    day_end_ms: day.endMs,
    day_start: dayStartLevel(params, state.balance, state.equity),
    hwm:
      params.max_loss.mode === "eod_trailing" && state.balance > state.hwm
        ? state.balance
        : state.hwm,
    breached: { daily_loss: null, max_loss: state.breached.max_loss },
  };
}

function isFiniteReading(reading: Reading): boolean {
  const balance = reading.balance;
  return (
    Number.isFinite(reading.equity) &&
    Number.isFinite(reading.at) &&
    (balance == null || Number.isFinite(balance))
  );
}

/**
 * Applies one reading to an account.
 *
 * - A null state opens the account at this reading (see {@link initialState}).
 * - A reading older than the newest applied one (`at < last_at`; equal times apply), or from a
 *   trading day already closed (`at < day_start_ms`, possible after {@link rollover}), is
 *   `stale`; one with a non-finite number is `invalid`. Neither changes anything.
 * - A reading at or after `day_end_ms` first rolls the day over (see {@link rollover}).
 * - A rule whose equity is strictly below its floor, and whose current period is not yet
 *   marked in `state.breached`, yields one {@link Violation} and is marked.
 * - Monitoring: polling -> live when overall usage >= live_enter_pct, live -> polling when
 *   it is < live_exit_pct, otherwise unchanged.
 */
export function evaluate(
  params: RuleParams,
  state: RiskState | null | undefined,
  reading: Reading,
): Evaluation {
  if (!isFiniteReading(reading)) return { applied: false, reason: "invalid", state: state ?? null };
  const at = reading.at;
  let prev: RiskState;
  let rolled_over = false;
  if (state == null) {
    prev = initialState(params, reading);
  } else if (at < state.last_at || at < state.day_start_ms) {
    return { applied: false, reason: "stale", state };
  } else if (at >= state.day_end_ms) {
    prev = rollover(params, state, at);
    rolled_over = true;
  } else {
    prev = state;
  }

  const equity = reading.equity;
  const balance = reading.balance ?? prev.balance;
  const hwm = params.max_loss.mode !== "eod_trailing" && equity > prev.hwm ? equity : prev.hwm;

  const daily_floor = dailyFloor(params, prev.day_start);
  const max_floor = maxFloor(params, hwm);
  const daily = usagePct(prev.day_start, daily_floor, equity);
  const max = usagePct(maxReference(params, hwm), max_floor, equity);
  const overall = daily > max ? daily : max;

  let breachedDaily = prev.breached.daily_loss;
  let breachedMax = prev.breached.max_loss;
  const violations: Violation[] = [];
  if (equity < daily_floor && breachedDaily !== prev.trading_day) {
    breachedDaily = prev.trading_day;
    violations.push({
      rule: "daily_loss",
      period: breachedDaily,
      equity,
      floor: daily_floor,
      usage: daily,
      at,
      source: reading.source,
    });
  }
  if (equity < max_floor && breachedMax !== LIFETIME_PERIOD) {
    breachedMax = LIFETIME_PERIOD;
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

  let monitoring = prev.monitoring;
  let transition: MonitoringTransition | null = null;
  if (monitoring === "polling") {
    if (overall >= params.live_enter_pct) {
      monitoring = "live";
      transition = TO_LIVE;
    }
  } else if (overall < params.live_exit_pct) {
    monitoring = "polling";
    transition = TO_POLLING;
  }

  return {
    applied: true,
    state: {
      trading_day: prev.trading_day,
      day_start_ms: prev.day_start_ms,
      day_end_ms: prev.day_end_ms,
      day_start: prev.day_start,
      hwm,
      balance,
      equity,
      last_at: at,
      monitoring,
      breached: { daily_loss: breachedDaily, max_loss: breachedMax },
    },
    daily_floor,
    max_floor,
    usage: { daily, max, overall },
    violations,
    transition,
    rolled_over,
  };
}
