/**
 * What one reading does to one account: the risk engine's evaluation turned into the rows to
 * write. Pure, shared by the cron poller and the live monitor, so both decide alike.
 */
import { evaluate, initialState, type Reading, type RiskState, type RuleParams, type Violation } from "../risk/index.ts";
import type { AccountMetrics } from "../db/metrics.ts";

export type MonitoringState = "polling" | "live";
export type AccountStatus = "active" | "breached" | "disabled";
export type ChangeSource = "poll" | "event" | "api" | "reconcile";

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
  source: "poll" | "event";
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

export type ReadingOutcome =
  | { applied: false; reason: "stale" | "invalid" }
  | { applied: true; change: AccountChange; breached: boolean; enterLive: boolean; exitLive: boolean };

function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Applies a reading to an account through the risk engine.
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
  const next = ev.state;
  const metrics: AccountMetrics = {
    balance: next.balance,
    equity: next.equity,
    day_start: next.day_start,
    hwm: next.hwm,
    daily_floor: ev.daily_floor,
    max_floor: ev.max_floor,
    usage: { daily: round(ev.usage.daily), max: round(ev.usage.max), overall: round(ev.usage.overall) },
    trading_day: next.trading_day,
    updated_at: new Date(reading.at).toISOString(),
    source: reading.source,
  };
  const change: AccountChange = {
    accountId,
    riskState: next,
    metrics,
    violations: ev.violations,
    audit: [],
    reading: { at: reading.at, balance: next.balance, equity: next.equity, usage: metrics.usage.overall, source: reading.source },
  };
  const breached = ev.violations.length > 0;
  let enterLive = false;
  let exitLive = false;
  if (breached) {
    change.status = "breached";
    change.audit.push({
      field: "status",
      from: "active",
      to: "breached",
      reason: `breach ${ev.violations.map((v) => `${v.rule} ${v.period}`).join(", ")}`,
      source: reading.source,
      at: reading.at,
    });
    if (monitoring === "live") {
      exitLive = true;
      change.monitoringState = "polling";
      change.riskState = { ...next, monitoring: "polling" };
      change.audit.push({ field: "monitoring_state", from: "live", to: "polling", reason: "breached", source: reading.source, at: reading.at });
    }
  } else if (ev.transition) {
    const to = ev.transition.to;
    enterLive = to === "live";
    exitLive = to === "polling";
    change.monitoringState = to;
    const limit = to === "live" ? `>= ${rules.live_enter_pct}%` : `< ${rules.live_exit_pct}%`;
    change.audit.push({
      field: "monitoring_state",
      from: ev.transition.from,
      to,
      reason: `usage ${metrics.usage.overall.toFixed(2)}% ${limit}`,
      source: reading.source,
      at: reading.at,
    });
  }
  return { applied: true, change, breached, enterLive, exitLive };
}
