/**
 * Shapes shared by the risk engine and its callers (the poller, the live Durable Object, the
 * HTTP routes). Everything here is plain JSON: a {@link RiskState} is stored as Postgres jsonb
 * and in Durable Object storage, so it holds no Dates, Maps or class instances.
 */

/** How an account is watched: by the cron poller over REST, or on the shared Events socket. */
export type MonitoringState = "polling" | "live";

/** The two drawdown rules of docs/rules.md. */
export type RuleName = "daily_loss" | "max_loss";

/** Where a reading came from: a REST poll or a live event. */
export type ReadingSource = "poll" | "event";

/** The period of the max_loss rule: it can be breached once per account lifetime. */
export const LIFETIME_PERIOD = "lifetime";

/**
 * What the engine carries from one reading to the next. Treat it as immutable: `evaluate` and
 * `rollover` return a new object and never change the one passed in.
 */
export interface RiskState {
  /** The current trading day, `YYYY-MM-DD`: the local date of the boundary that opened it. */
  trading_day: string;
  /** Epoch ms of the boundary that opened `trading_day`. */
  day_start_ms: number;
  /** Epoch ms of the next boundary; a reading at or after it rolls the day over. */
  day_end_ms: number;
  /** The day's reference level (account currency): balance, or max(balance, equity), at the boundary. */
  day_start: number;
  /**
   * High-water mark (account currency), never below initial_balance: the highest equity seen
   * (`trailing`, and tracked for information under `static`), or the highest end-of-day
   * balance (`eod_trailing`).
   */
  hwm: number;
  /** Last known balance (account currency). */
  balance: number;
  /** Last known equity (account currency). */
  equity: number;
  /** Epoch ms of the newest applied reading. */
  last_at: number;
  /** Current monitoring state, moved by the live_enter_pct / live_exit_pct hysteresis. */
  monitoring: MonitoringState;
  /** Per rule, the period already breached (and recorded) in the current period, else null. */
  breached: { daily_loss: string | null; max_loss: string | null };
  /**
   * Version 2 fields. Each is absent from a state written before version 2, or whose rules
   * do not use it; the engine reads a missing one as its neutral value.
   *
   * `daily_loss.mode: trailing_intraday_high`: the highest equity since the boundary, never
   * below `day_start` (account currency).
   */
  day_high?: number | undefined;
  /** Sum of the balance adjustments applied (account currency); 0 when missing. */
  adjustment?: number | undefined;
  /** Id of the newest adjustment applied; 0 when missing. Adjustments apply in id order, once. */
  adjustment_id?: number | undefined;
  /** Adjustments applied since the current trading day opened (account currency). */
  day_adjustment?: number | undefined;
  /** Per rule, how many `warn_at_pct` levels were reached in its current period. */
  warned?: WarnedLevels | undefined;
  /** Objectives bookkeeping, when the rules have objectives. */
  objectives?: ObjectivesState | undefined;
}

/** Per rule, the count of `warn_at_pct` levels (lowest first) already reached this period. */
export interface WarnedLevels {
  daily_loss: number;
  max_loss: number;
}

/** What the objectives need carried from one reading to the next. */
export interface ObjectivesState {
  /** Closed trading days during which the balance changed. */
  days: number;
  /** The best closed trading day's profit (closing balance - opening balance), at least 0. */
  best_day: number;
  /** Balance when the current trading day opened (account currency). */
  open_balance: number;
  /** True when the balance changed during the current trading day. */
  traded: boolean;
  /** Epoch ms when every objective was first met (with no breach), else null. Set once. */
  met_at: number | null;
}

/** A `warn_at_pct` level reached: at most one per (rule, period, level). */
export interface Warning {
  rule: RuleName;
  /** As for a violation: the trading day, or `lifetime`. */
  period: string;
  /** The level reached (%). */
  level: number;
  /** The rule's usage when it was reached (%). */
  usage: number;
  /** Epoch ms of the reading. */
  at: number;
  source: ReadingSource;
}

/** A balance adjustment (deposit > 0, withdrawal < 0) as the engine applies it. */
export interface Adjustment {
  /** Increasing id (the adjustments table's); one already applied is skipped. */
  id: number;
  /** Account currency; not zero. */
  amount: number;
}

/** One observation of an account. */
export interface Reading {
  /** Equity (account currency). */
  equity: number;
  /** Balance (account currency); when missing the last known balance stays. */
  balance?: number;
  /** Epoch ms when the figures were true (the broker's or the poller's clock). */
  at: number;
  source: ReadingSource;
}

/** A rule breach to record: at most one per (account, rule, period). */
export interface Violation {
  rule: RuleName;
  /** `YYYY-MM-DD` (the trading day) for daily_loss, `"lifetime"` for max_loss. */
  period: string;
  /** Equity that breached (account currency). */
  equity: number;
  /** The floor it fell below (account currency). */
  floor: number;
  /** The rule's usage at the breach, % (above 100). */
  usage: number;
  /** Epoch ms of the reading. */
  at: number;
  source: ReadingSource;
}

/** Usage of each rule and of the account (the larger of the two), in %. */
export interface Usage {
  daily: number;
  max: number;
  overall: number;
}

/** Floors (account currency) and usage (%) as they stand for a state. */
export interface RiskFigures {
  daily_floor: number;
  max_floor: number;
  usage: Usage;
}

/** A change of monitoring state decided by the hysteresis band. */
export interface MonitoringTransition {
  readonly from: MonitoringState;
  readonly to: MonitoringState;
}

/** The reading was applied: the new state and what it means. */
export interface AppliedEvaluation extends RiskFigures {
  applied: true;
  state: RiskState;
  /** New breaches to record (empty almost always). */
  violations: Violation[];
  /** Monitoring change to carry out, or null. */
  transition: MonitoringTransition | null;
  /** True when this reading opened a new trading day. */
  rolled_over: boolean;
  /** `warn_at_pct` levels newly reached (empty almost always). */
  warnings: Warning[];
  /** Epoch ms when this reading met every objective (recorded once), else null. */
  objectives_met_at: number | null;
}

/** The reading is older than the newest applied one, or from a trading day already closed. */
export interface StaleEvaluation {
  applied: false;
  reason: "stale";
  state: RiskState;
}

/**
 * The reading holds a non-finite number (NaN, Infinity), or its time is outside the window
 * around the monitor's clock (more than 5 min ahead, more than 24 h behind); nothing changed.
 */
export interface InvalidEvaluation {
  applied: false;
  reason: "invalid";
  /** Set when the time was the problem: `future` or `too_old` (see reading-time.ts). */
  detail?: "future" | "too_old";
  state: RiskState | null;
}

export type Evaluation = AppliedEvaluation | StaleEvaluation | InvalidEvaluation;
