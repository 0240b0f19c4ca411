/**
 * The evidence kept with a violation (docs/api.md, "Breach evidence"): what a firm hands to
 * a trader who disputes a breach. Written once, at breach time, in the violation's own
 * transaction, so it never depends on readings that retention thins later.
 */
import type { RuleParams } from "../risk/index.ts";

/** The figures at the breaching reading (account currency; usage in % of each allowance). */
export interface EvidenceFigures {
  balance: number;
  equity: number;
  day_start: number;
  hwm: number;
  daily_floor: number;
  max_floor: number;
  usage: { daily: number; max: number; overall: number };
  trading_day: string;
  /** ISO-8601 time of the reading. */
  at: string;
}

/** A reading before the breach, newest first. */
export interface EvidenceReading {
  at: string;
  balance: number;
  equity: number;
  /** Overall usage, %. */
  usage: number;
  source: string;
}

/**
 * What caused the breach: the MTAPI REST answer (poll) or the Events message (live), with
 * session tokens masked. `null` when the writer did not pass it.
 */
export type BreachCause =
  | { kind: "rest"; request: string; answer: unknown; received_at: string }
  | { kind: "event"; event: unknown; received_at: string }
  /** A trade rule (docs/trades.md, "Severity"): the trade behind it and the rule's figures. */
  | { kind: "trade"; trade: TradeJson | null; detail: unknown; received_at: string };

/** A trade as the API and the evidence show it (docs/trades.md, "API"). Times ISO-8601 UTC. */
export interface TradeJson {
  ticket: number;
  symbol: string;
  side: string;
  kind: "position" | "pending" | "balance";
  state: "open" | "closed" | "vanished";
  lots: number;
  open_time: string;
  open_price: number | null;
  close_time: string | null;
  close_price: number | null;
  stop_loss: number;
  take_profit: number;
  profit: number;
  swap: number;
  commission: number;
}

export interface ViolationEvidence {
  /** The rules version in force; null when the writer did not know it. */
  rules_version: number | null;
  /** The rules that judged the reading. */
  rules: RuleParams;
  figures: EvidenceFigures;
  /** Up to 20 readings before the breaching one, newest first. */
  readings_before: EvidenceReading[];
  cause: BreachCause | null;
}
