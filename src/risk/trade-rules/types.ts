/**
 * The trade-rule engine's shapes (docs/trades.md): a trade as the rules read it, a calendar
 * event, what the engine is given and what it finds. Plain data, times as epoch ms (UTC).
 */
import type { NewsImpact, Severity, TradeRuleName } from "./params.ts";

/** A position or pending order (open or closed) as the rules read it. */
export interface TradeView {
  ticket: number;
  symbol: string;
  /** Pending orders count for no rule (spec: "pending orders not counted"). */
  kind: "position" | "pending";
  lots: number;
  /** When it opened, epoch ms UTC. */
  openMs: number;
  /** When it closed, epoch ms UTC; null while open. */
  closeMs: number | null;
  /** 0 means none. */
  stopLoss: number;
  /** Profit, swap and commission (account currency): floating while open, final once closed. */
  profit: number;
  swap: number;
  commission: number;
  /** The first moment a stop loss was seen on it; null when never seen. */
  stopLossSeenMs: number | null;
}

/** One economic calendar event. */
export interface CalendarEvent {
  atMs: number;
  currency: string;
  impact: NewsImpact;
  title?: string;
}

/** What one judgement of an account's trades needs. */
export interface TradeJudgeInput {
  /** Epoch ms of the judgement: open positions are judged as of this instant. */
  nowMs: number;
  initialBalance: number;
  /** The account's known trades, open and closed (any order). */
  trades: readonly TradeView[];
  calendar: readonly CalendarEvent[];
  /** Symbol -> currencies overrides, keyed upper-case. */
  symbols: ReadonlyMap<string, readonly string[]>;
  /** Start of the inactivity clock when no trade has been seen (e.g. the account's creation). */
  watchedSinceMs: number;
  /** `rule|period` of violations already recorded (any severity): never recorded again. */
  recorded: ReadonlySet<string>;
  /** Violations already recorded per rule since the last reset (escalation counts these). */
  counts: Readonly<Partial<Record<TradeRuleName, number>>>;
}

/** One new violation of a trade rule. */
export interface TradeViolation {
  rule: TradeRuleName;
  /** Unique per (account, rule): a trade key (`ticket@open ISO`), or a period such as `EURUSD@2026-12-04`. */
  period: string;
  /** The ticket behind it; null for account-wide rules (inactivity, floating loss per symbol). */
  ticket: number | null;
  severity: Severity;
  /** True when it is hard only because it is the `escalate_after`-th. */
  escalated: boolean;
  /** When the breach happened, epoch ms. */
  detectedAtMs: number;
  /** The figures behind it, for the evidence (units: lots, seconds, account currency). */
  detail: Record<string, number | string | null>;
}
