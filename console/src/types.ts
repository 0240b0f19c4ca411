/**
 * The API shapes the console reads (docs/api.md), restated for the browser bundle (the
 * server's own types pull in Workers types). Only the fields the console uses.
 */

export type Role = "viewer" | "operator" | "admin";

export interface Session {
  role: Role;
  name: string;
  expires_at: string | null;
}

export interface Usage {
  daily: number;
  max: number;
  overall: number;
}

export interface Metrics {
  balance: number;
  equity: number;
  day_start: number;
  hwm: number;
  daily_floor: number;
  max_floor: number;
  usage: Usage;
  trading_day: string;
  updated_at: string;
  source: "poll" | "event";
}

export interface Rules {
  initial_balance: number;
  daily_loss: { limit: number; unit: string; basis: string };
  daily_reference: string;
  daily_reset: { timezone: string; hour: number };
  max_loss: { limit: number; unit: string; mode: string; lock_at_initial: boolean };
  live_enter_pct: number;
  live_exit_pct: number;
  [key: string]: unknown;
}

export interface Account {
  id: number;
  login: string;
  server: string;
  label: string | null;
  status: "active" | "breached" | "disabled";
  monitoring_state: "polling" | "live";
  preset?: string | null;
  rules: Rules;
  metrics: Metrics | null;
  problem: string | null;
  /** Since when the problem holds (docs/mtapi-bridge.md); absent on older answers. */
  problem_since?: string | null;
  distance_to_floor?: number | null;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Violation {
  id: number;
  account_id: number;
  rule: "daily_loss" | "max_loss";
  period: string;
  equity: number;
  floor: number;
  usage: number;
  source: "event" | "poll";
  detected_at: string;
  rules_version?: number;
  evidence?: unknown;
}

export interface EquityPoint {
  at: string;
  balance: number;
  equity: number;
  usage: number;
  daily_floor?: number;
  max_floor?: number;
}

export interface EventCounters {
  received: number;
  applied: number;
  [key: string]: number;
}

export interface Connection {
  state: string;
  url?: string;
  connected_since?: string | null;
  reconnects?: number;
  last_message_at?: string | null;
}

export interface Shard {
  shard: number;
  connection: Connection;
  subscriptions: number;
  events: EventCounters;
  pending_writes: number;
  oldest_pending_s?: number;
}

export interface MonitorStatus {
  connection: Connection;
  subscriptions: number;
  events: EventCounters;
  pending_writes: number;
  health?: "ok" | "degraded";
  reasons?: string[];
  shards?: Shard[];
  dead_letters?: number;
  coverage?: { max_unwatched_s: number; accounts_stale: number };
}
