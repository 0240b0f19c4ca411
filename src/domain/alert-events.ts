/**
 * The alert events of docs/alerts.md and the shape of each one's `data`. Pure: the types,
 * the list of names the API accepts, and the message body every endpoint receives.
 */
import type { TradeJson } from "./evidence.ts";

/** Every event type an endpoint can subscribe to. */
export const EVENT_TYPES = [
  "violation.recorded",
  "account.warning",
  "account.live_entered",
  "account.live_exited",
  "account.problem",
  "account.objectives_met",
  "account.adjusted",
  "enforcement.started",
  "enforcement.completed",
  "enforcement.failed",
  "account.locked",
  "account.unlocked",
  "monitor.degraded",
  "monitor.recovered",
  "webhook.test",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The account as events name it. */
export interface AccountRef {
  id: number;
  login: string;
  server: string;
  label: string | null;
}

/** Usage per rule, % of the rule's allowance. */
export interface UsageFigures {
  daily: number;
  max: number;
  overall: number;
}

/** `data` of each event type. */
export interface EventData {
  "violation.recorded": {
    account: AccountRef;
    violation: {
      id: number;
      rule: string;
      period: string;
      /** Account currency. */
      equity: number;
      /** Account currency. */
      floor: number;
      /** % of the rule's allowance at detection. */
      usage: number;
      source: string;
      detected_at: string;
      /** `hard` fails the account, `soft` leaves it active (docs/trades.md, "Severity"). */
      severity?: "hard" | "soft";
      /** The ticket behind a trade-rule violation. */
      ticket?: number | null;
      /** The trade behind a trade-rule violation. */
      trade?: TradeJson | null;
      /** The account's reset epoch (docs/security.md, "Reset epochs"); 0 before any reset. */
      reset_epoch?: number;
    };
  };
  "account.warning": {
    account: AccountRef;
    rule: string;
    /** The trading day, or `lifetime`. */
    period: string;
    /** The `warn_at_pct` level reached, %. */
    level: number;
    /** %. */
    usage: number;
    equity: number;
    floor: number;
  };
  "account.live_entered": { account: AccountRef; usage: UsageFigures | null; reason: string };
  "account.live_exited": { account: AccountRef; usage: UsageFigures | null; reason: string };
  "account.problem": {
    account: AccountRef;
    /** The problem that appeared, or null when it cleared. */
    problem: string | null;
    /** `appeared` or `cleared`, and the problem concerned. */
    detail: { change: "appeared" | "cleared"; problem: string };
  };
  "account.objectives_met": { account: AccountRef; objectives: unknown };
  /** Every balance adjustment (docs/alerts.md): who recorded it, and why. */
  "account.adjusted": {
    account: AccountRef;
    adjustment: {
      id: number;
      /** Account currency: a deposit > 0, a withdrawal < 0. */
      amount: number;
      note: string | null;
      actor: string;
      created_at: string;
    };
  };
  /** An enforcement action and its evidence (docs/enforcement.md, "Evidence"). */
  "enforcement.started": { account_id: number; action: EnforcementActionData };
  "enforcement.completed": { account_id: number; action: EnforcementActionData };
  "enforcement.failed": { account_id: number; action: EnforcementActionData };
  "account.locked": { account_id: number; rule: string; locked_until: string | null };
  "account.unlocked": { account_id: number; reason: string };
  /** `monitor` names the monitor (shard) whose health changed. */
  "monitor.degraded": { health: string; reasons: string[]; monitor?: string };
  "monitor.recovered": { health: string; reasons: string[]; monitor?: string };
  "webhook.test": Record<string, never>;
}

/** An action as its webhooks carry it: id, kind, mode, state, failure, steps, equity. */
export interface EnforcementActionData {
  id: number;
  kind: string;
  dry_run: boolean;
  state: string;
  failure: string | null;
  equity_before: number | null;
  equity_after: number | null;
  slippage: number | null;
  steps: unknown[];
}

/** The JSON body of a Standard Webhooks message. */
export interface MessagePayload<T extends EventType = EventType> {
  type: T;
  /** ISO-8601. */
  timestamp: string;
  data: EventData[T];
}

/** True when an endpoint subscribed to `events` receives `type`. */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes("*") || events.includes(type);
}

/** A fresh message id (`webhook-id`): `msg_` and 32 hex digits. */
export function newMessageId(): string {
  return `msg_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The account as events name it, from any row with its columns. */
export function accountRef(row: {
  id: number;
  login: string;
  server: string;
  label: string | null;
}): AccountRef {
  return { id: Number(row.id), login: row.login, server: row.server, label: row.label };
}

/** One event to record. */
export interface AlertInput<T extends EventType = EventType> {
  type: T;
  data: EventData[T];
  /** Only this endpoint receives it (`webhook.test`). */
  endpointId?: number;
  /** A message id kept by the producer (`msg_...`); a fresh one when absent. */
  id?: string;
}
