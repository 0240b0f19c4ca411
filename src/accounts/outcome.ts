/**
 * What one reading does to one account: the risk engine's evaluation turned into the rows to
 * write. Pure, shared by the cron poller and the live monitor, so both decide alike.
 */
import {
  evaluate,
  initialState,
  usageOf,
  type MonitoringState,
  type Reading,
  type ReadingSource,
  type RiskFigures,
  type RiskState,
  type RuleParams,
  type Violation,
} from "../risk/index.ts";
import type { AccountMetrics } from "../db/metrics.ts";
import type { AccountStatus } from "../db/schema.ts";

/** Who changed an account's state (the audit's `source`). */
export type ChangeSource = ReadingSource | "api" | "reconcile";

/** One line of the account audit. */
export interface AuditEntry {
  field: "monitoring_state" | "status";
  from: string | null;
  to: string;
  reason: string;
  source: ChangeSource;
  at: number;
}

/** A point of the equity history. */
export interface ReadingRow {
  at: number;
  balance: number;
  equity: number;
  usage: number;
  source: ReadingSource;
}

/** Everything one applied reading changes for one account. */
export interface AccountChange {
  accountId: number;
  riskState: RiskState;
  metrics: AccountMetrics;
  /** Set when the account changes status (a breach). */
  status?: AccountStatus;
  /** Set when the account changes monitoring state. */
  monitoringState?: MonitoringState;
  violations: Violation[];
  audit: AuditEntry[];
  reading: ReadingRow;
}

/** What the engine decided for one applied reading; the rows to write come from `toChange`. */
export interface AppliedReading {
  applied: true;
  accountId: number;
  reading: Reading;
  /** The next risk state (monitoring already moved when the reading moves it). */
  state: RiskState;
  figures: RiskFigures;
  violations: Violation[];
  breached: boolean;
  enterLive: boolean;
  exitLive: boolean;
  /** The monitoring state before the reading. */
  from: MonitoringState;
  /** Set when the monitoring state changes. */
  monitoringState?: MonitoringState;
}

export type ReadingOutcome = { applied: false; reason: "stale" | "invalid" } | AppliedReading;

/** Usage as the API shows it: % rounded to 4 decimals. */
function roundUsage(pct: number): number {
  return Math.round(pct * 1e4) / 1e4;
}

/** The floors and rounded usage of `metrics`: what moves when the rules change. */
export function floorsAndUsage(
  figures: RiskFigures,
): Pick<AccountMetrics, "daily_floor" | "max_floor" | "usage"> {
  return {
    daily_floor: figures.daily_floor,
    max_floor: figures.max_floor,
    usage: {
      daily: roundUsage(figures.usage.daily),
      max: roundUsage(figures.usage.max),
      overall: roundUsage(figures.usage.overall),
    },
  };
}

/** The figures an account shows (`metrics` of the admin API) for a state. */
export function metricsOf(
  state: RiskState,
  figures: RiskFigures,
  source: ReadingSource,
): AccountMetrics {
  return {
    balance: state.balance,
    equity: state.equity,
    day_start: state.day_start,
    hwm: state.hwm,
    ...floorsAndUsage(figures),
    trading_day: state.trading_day,
    updated_at: new Date(state.last_at).toISOString(),
    source,
  };
}

/** A change that only refreshes an account's figures (no decision). */
export function figuresChange(
  accountId: number,
  rules: RuleParams,
  state: RiskState,
  source: ReadingSource,
): AccountChange {
  const metrics = metricsOf(state, usageOf(rules, state), source);
  return {
    accountId,
    riskState: state,
    metrics,
    violations: [],
    audit: [],
    reading: {
      at: state.last_at,
      balance: state.balance,
      equity: state.equity,
      usage: metrics.usage.overall,
      source,
    },
  };
}

/**
 * Applies a reading to an account through the risk engine. Pure and cheap: the rows to
 * write are built by `toChange` only when a caller writes them.
 * @param monitoring the account's monitoring state as the caller knows it.
 */
export function applyReading(
  accountId: number,
  rules: RuleParams,
  state: RiskState | null,
  monitoring: MonitoringState,
  reading: Reading,
): ReadingOutcome {
  // The caller's monitoring state is the truth (an operator may have forced it); a first
  // reading opens the state in it, then is judged like any other.
  const prior: RiskState = !state
    ? initialState(rules, reading, monitoring)
    : state.monitoring !== monitoring
      ? { ...state, monitoring }
      : state;
  const ev = evaluate(rules, prior, reading);
  if (!ev.applied) return { applied: false, reason: ev.reason };
  const breached = ev.violations.length > 0;
  const out: AppliedReading = {
    applied: true,
    accountId,
    reading,
    state: ev.state,
    figures: ev,
    violations: ev.violations,
    breached,
    enterLive: false,
    exitLive: false,
    from: monitoring,
  };
  if (breached) {
    // A breach ends live monitoring: the account is no longer watched until an operator resets it.
    if (monitoring === "live") {
      out.exitLive = true;
      out.monitoringState = "polling";
      out.state = { ...ev.state, monitoring: "polling" };
    }
  } else if (ev.transition) {
    out.monitoringState = ev.transition.to;
    out.enterLive = ev.transition.to === "live";
    out.exitLive = ev.transition.to === "polling";
  }
  return out;
}

/** The rows one applied reading writes: figures, status and monitoring changes, audit. */
export function toChange(rules: RuleParams, o: AppliedReading): AccountChange {
  const { reading } = o;
  const change = figuresChange(o.accountId, rules, o.state, reading.source);
  change.violations = o.violations;
  if (o.breached) {
    change.status = "breached";
    change.audit.push({
      field: "status",
      from: "active",
      to: "breached",
      reason: `breach ${o.violations.map((v) => `${v.rule} ${v.period}`).join(", ")}`,
      source: reading.source,
      at: reading.at,
    });
  }
  if (o.monitoringState) {
    change.monitoringState = o.monitoringState;
    const why = o.breached
      ? "breached"
      : o.monitoringState === "live"
        ? `usage ${change.metrics.usage.overall.toFixed(2)}% >= ${rules.live_enter_pct}%`
        : `usage ${change.metrics.usage.overall.toFixed(2)}% < ${rules.live_exit_pct}%`;
    change.audit.push({
      field: "monitoring_state",
      from: o.from,
      to: o.monitoringState,
      reason: why,
      source: reading.source,
      at: reading.at,
    });
  }
  return change;
}
