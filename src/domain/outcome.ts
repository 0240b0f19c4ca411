/**
 * What one reading does to one account: the risk engine's evaluation turned into the rows to
 * write. Pure, shared by the cron poller and the live monitor, so both decide alike.
 */
import {
  applyAdjustments,
  compileRules,
  copyState,
  objectivesOf,
  openState,
  openWithAdjustments,
  readingTimeVerdict,
  stepInPlace,
  usageOf,
  type CompiledRules,
  type MonitoringState,
  type Step,
  newStep,
  warningsOf,
  type Adjustment,
  type Reading,
  type ReadingSource,
  type RiskFigures,
  type RiskState,
  type RuleParams,
  type Violation,
  type Warning,
} from "../risk/index.ts";
import type { BreachCause } from "./evidence.ts";
import type { AccountMetrics } from "./metrics.ts";
import type { AccountStatus } from "./vocabulary.ts";
import type { AuditAction } from "./audit.ts";

/** Who changed an account's state (the audit's `source`). */
export type ChangeSource = ReadingSource | "api" | "reconcile";

/** One line of the account audit (a system decision; operators' changes are in state-change.ts). */
export interface AuditEntry {
  /** Derived from `field` and `to` when not given (see `systemAction` in audit.ts). */
  action?: AuditAction;
  field: "monitoring_state" | "status" | "objectives";
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
  /** The rules that judged the reading (kept in a violation's evidence). */
  rules?: RuleParams;
  /**
   * The rules version that judged it. When absent the writer takes the account's current
   * version, which is right unless the rules changed while the reading was in flight.
   */
  rulesVersion?: number;
  /** The MTAPI answer or Events message behind the reading, secrets masked. */
  cause?: BreachCause;
  /** Epoch ms when this reading met every objective: recorded once as objectives_met_at. */
  objectivesMetAt?: number;
  /** `warn_at_pct` levels newly reached (for alerts; the metrics show the levels reached). */
  warnings?: Warning[];
}

/** What a writer knows about a reading beyond the engine's outcome, for violations. */
export interface ChangeContext {
  rulesVersion?: number | undefined;
  cause?: BreachCause | undefined;
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
  /** `warn_at_pct` levels newly reached. */
  warnings: Warning[];
  /** Epoch ms when this reading met every objective, else null. */
  objectivesMetAt: number | null;
  breached: boolean;
  enterLive: boolean;
  exitLive: boolean;
  /** The monitoring state before the reading. */
  from: MonitoringState;
  /** Set when the monitoring state changes. */
  monitoringState?: MonitoringState;
}

export type ReadingOutcome =
  { applied: false; reason: "stale" | "invalid"; detail?: "future" | "too_old" } | AppliedReading;

/** Options of {@link applyReading}. */
export interface ApplyReadingOptions {
  /**
   * The monitor's clock (epoch ms): a reading stamped more than 5 minutes ahead of it or
   * more than 24 hours behind it is `invalid` (docs/rules.md, "Reading times").
   */
  nowMs?: number;
  /** Balance adjustments of the account; those not yet in the state apply before the reading. */
  adjustments?: readonly Adjustment[];
}

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

/**
 * The figures an account shows (`metrics` of the admin API) for a state. With `rules`, the
 * warning levels reached and the objectives' progress are added when the rules have them.
 */
export function metricsOf(
  state: RiskState,
  figures: RiskFigures,
  source: ReadingSource,
  rules?: RuleParams,
): AccountMetrics {
  const metrics: AccountMetrics = {
    balance: state.balance,
    equity: state.equity,
    day_start: state.day_start,
    hwm: state.hwm,
    ...floorsAndUsage(figures),
    trading_day: state.trading_day,
    updated_at: new Date(state.last_at).toISOString(),
    source,
  };
  if (rules) {
    const warnings = warningsOf(rules, state);
    if (warnings) metrics.warnings = warnings;
    const objectives = objectivesOf(rules, state);
    if (objectives) metrics.objectives = objectives;
  }
  return metrics;
}

/** A change that only refreshes an account's figures (no decision). */
export function figuresChange(
  accountId: number,
  rules: RuleParams,
  state: RiskState,
  source: ReadingSource,
): AccountChange {
  const metrics = metricsOf(state, usageOf(rules, state), source, rules);
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
 * What one reading applied in place decided, beside the engine's {@link Step}: written into a
 * record the caller owns and reuses, so the live monitor's common reading allocates nothing.
 */
export interface Decision {
  breached: boolean;
  enterLive: boolean;
  exitLive: boolean;
  /** The monitoring state the account moves to, or null when it stays. */
  monitoringState: MonitoringState | null;
  /** The monitoring state before the reading. */
  from: MonitoringState;
  /**
   * What the next reading depends on moved (the engine's `memory_moved`, or the monitoring
   * state the caller imposed): a holder of the state persists it now, else batches figures.
   */
  memoryMoved: boolean;
}

/** A fresh decision record (one per caller; reuse it). */
export function newDecision(): Decision {
  return {
    breached: false,
    enterLive: false,
    exitLive: false,
    monitoringState: null,
    from: "polling",
    memoryMoved: false,
  };
}

/**
 * True when one of `violations` is of a hard loss rule (docs/rules.md, "Severity of the loss
 * rules"): a soft one is recorded and fails nothing.
 */
export function failsAccount(
  c: Pick<CompiledRules, "dailySoft" | "maxSoft">,
  violations: readonly { rule: string }[],
): boolean {
  for (const v of violations) if (v.rule === "daily_loss" ? !c.dailySoft : !c.maxSoft) return true;
  return false;
}

/**
 * Applies a reading in place to a state the caller holds, through the risk engine, and
 * decides what it means for the account (the one decision of the poller and the live
 * monitor). Returns false, with the state unchanged, when the reading is stale or invalid
 * (`step.reason`).
 * @param monitoring the account's monitoring state as the caller knows it: the truth (an
 *   operator may have forced it); the state takes it before the reading is judged.
 */
export function decideInPlace(
  c: CompiledRules,
  state: RiskState,
  monitoring: MonitoringState,
  equity: number,
  balance: number | null | undefined,
  at: number,
  source: ReadingSource,
  nowMs: number | undefined,
  step: Step,
  out: Decision,
): boolean {
  const was = state.monitoring;
  let applied: boolean;
  if (was === monitoring) {
    applied = stepInPlace(c, state, equity, balance, at, source, nowMs, step);
  } else {
    state.monitoring = monitoring;
    try {
      applied = stepInPlace(c, state, equity, balance, at, source, nowMs, step);
    } finally {
      if (!applied!) state.monitoring = was;
    }
  }
  if (!applied) return false;
  const breached = step.violations.length > 0 && failsAccount(c, step.violations);
  out.breached = breached;
  out.from = monitoring;
  out.enterLive = false;
  out.exitLive = false;
  out.monitoringState = null;
  out.memoryMoved = step.memory_moved || was !== monitoring;
  if (breached) {
    // A breach ends live monitoring: the account is no longer watched until an operator resets it.
    if (monitoring === "live") {
      out.exitLive = true;
      out.monitoringState = "polling";
      state.monitoring = "polling";
    }
  } else if (step.transition !== null) {
    const to = step.transition.to;
    out.monitoringState = to;
    out.enterLive = to === "live";
    out.exitLive = to === "polling";
  }
  return true;
}

/**
 * The {@link AppliedReading} of a reading applied in place, for the rows to write. Copies
 * what the step record holds (it is reused by the next reading); `state` is the held state
 * itself, to be written (serialized) before the next reading moves it.
 */
export function appliedReadingOf(
  accountId: number,
  state: RiskState,
  reading: Reading,
  step: Step,
  d: Decision,
): AppliedReading {
  const out: AppliedReading = {
    applied: true,
    accountId,
    reading,
    state,
    figures: {
      daily_floor: step.daily_floor,
      max_floor: step.max_floor,
      usage: { daily: step.usage.daily, max: step.usage.max, overall: step.usage.overall },
    },
    violations: step.violations,
    warnings: step.warnings,
    objectivesMetAt: step.objectives_met_at,
    breached: d.breached,
    enterLive: d.enterLive,
    exitLive: d.exitLive,
    from: d.from,
  };
  if (d.monitoringState !== null) out.monitoringState = d.monitoringState;
  return out;
}

// One step and decision record for the pure form below: read back before it returns.
const pureStep = newStep();
const pureDecision = newDecision();

/**
 * Applies a reading to an account through the risk engine, leaving `state` as it was (the
 * reading moves a copy, returned as the outcome's state). Pure and cheap: the rows to write
 * are built by `toChange` only when a caller writes them.
 * @param monitoring the account's monitoring state as the caller knows it.
 */
export function applyReading(
  accountId: number,
  rules: RuleParams,
  state: RiskState | null,
  monitoring: MonitoringState,
  reading: Reading,
  options: ApplyReadingOptions = {},
): ReadingOutcome {
  const { nowMs, adjustments } = options;
  const c = compileRules(rules);
  // A first reading opens the state in the caller's monitoring state, then is judged like
  // any other. Adjustments not yet applied apply first: the reading already holds their money.
  let held: RiskState;
  if (!state) {
    if (!Number.isFinite(reading.equity) || !Number.isFinite(reading.at)) {
      return { applied: false, reason: "invalid" };
    }
    const verdict = nowMs === undefined ? "ok" : readingTimeVerdict(reading.at, nowMs);
    if (verdict !== "ok") return { applied: false, reason: "invalid", detail: verdict };
    held = openState(c, reading.equity, reading.balance, reading.at, monitoring);
    if (adjustments?.length) held = openWithAdjustments(rules, held, adjustments);
  } else {
    held = copyState(adjustments?.length ? applyAdjustments(state, adjustments) : state);
  }
  const step = pureStep;
  const d = pureDecision;
  if (
    !decideInPlace(
      c,
      held,
      monitoring,
      reading.equity,
      reading.balance,
      reading.at,
      reading.source,
      nowMs,
      step,
      d,
    )
  ) {
    return step.reason === "invalid" && step.detail !== null
      ? { applied: false, reason: "invalid", detail: step.detail }
      : { applied: false, reason: step.reason ?? "invalid" };
  }
  return appliedReadingOf(accountId, held, reading, step, d);
}

/**
 * The rows one applied reading writes: figures, status and monitoring changes, audit.
 * `ctx` carries what a violation's evidence needs beyond the engine's figures.
 */
export function toChange(
  rules: RuleParams,
  o: AppliedReading,
  ctx: ChangeContext = {},
): AccountChange {
  const { reading } = o;
  const change = figuresChange(o.accountId, rules, o.state, reading.source);
  change.violations = o.violations;
  if (o.warnings.length > 0) change.warnings = o.warnings;
  if (o.objectivesMetAt !== null) {
    change.objectivesMetAt = o.objectivesMetAt;
    change.audit.push({
      action: "account.objectives_met",
      field: "objectives",
      from: null,
      to: "met",
      reason: "every objective met",
      source: reading.source,
      at: o.objectivesMetAt,
    });
  }
  // Every violation, soft ones too, carries the rules that judged it (its evidence and severity).
  if (o.violations.length > 0) {
    change.rules = rules;
    if (ctx.rulesVersion !== undefined) change.rulesVersion = ctx.rulesVersion;
    if (ctx.cause) change.cause = ctx.cause;
  }
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
