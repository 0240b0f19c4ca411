/**
 * Rows as the admin API shows them (admin-api.md): snake_case, ISO-8601 times, and MTAPI
 * session tokens masked, since they are secrets.
 */
import type { AccountMetrics } from "../db/metrics.ts";
import type { AccountRow, ViolationRow } from "../db/schema.ts";
import type { RuleParams } from "../risk/index.ts";
import type { AccountStatus, MonitoringState } from "./outcome.ts";

/** An account as every endpoint returns it. */
export interface AccountJson {
  id: number;
  login: string;
  server: string;
  /** Masked: see {@link maskSecret}. */
  session_id: string;
  label: string | null;
  status: AccountStatus;
  monitoring_state: MonitoringState;
  /** The preset the rules came from, or null for custom rules. */
  preset: string | null;
  rules: RuleParams;
  metrics: AccountMetrics | null;
  problem: string | null;
  /** Equity minus the nearer floor (account currency); null until the first reading. */
  distance_to_floor: number | null;
  created_at: string;
  updated_at: string;
}

/** A violation as the API lists it. */
export interface ViolationJson {
  id: number;
  account_id: number;
  rule: "daily_loss" | "max_loss";
  period: string;
  equity: number;
  floor: number;
  usage: number;
  source: "event" | "poll";
  detected_at: string;
}

/** Below this length showing 4 characters would give away too much of the secret. */
const MIN_REVEAL_LENGTH = 8;

/**
 * A secret as answers show it: its first 4 characters, then `...` (admin-api.md). A secret
 * shorter than {@link MIN_REVEAL_LENGTH} shows as `...` alone.
 */
export function maskSecret(secret: string): string {
  return secret.length < MIN_REVEAL_LENGTH ? "..." : `${secret.slice(0, 4)}...`;
}

/**
 * How far equity is above the nearer of its two floors (the higher one), account currency,
 * rounded to the cent; negative once below it; null without figures.
 */
export function distanceToFloor(metrics: AccountMetrics | null): number | null {
  if (!metrics) return null;
  const floor = Math.max(metrics.daily_floor, metrics.max_floor);
  return Math.round((metrics.equity - floor) * 100) / 100;
}

/** The account's JSON. */
export function presentAccount(row: AccountRow): AccountJson {
  return {
    id: row.id,
    login: row.login,
    server: row.server,
    session_id: maskSecret(row.sessionId),
    label: row.label,
    status: row.status as AccountStatus,
    monitoring_state: row.monitoringState as MonitoringState,
    preset: row.preset,
    rules: row.rules,
    metrics: row.metrics ?? null,
    problem: row.problem,
    distance_to_floor: distanceToFloor(row.metrics ?? null),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The violation's JSON. */
export function presentViolation(row: ViolationRow): ViolationJson {
  return {
    id: row.id,
    account_id: row.accountId,
    rule: row.rule as ViolationJson["rule"],
    period: row.period,
    equity: row.equity,
    floor: row.floor,
    usage: row.usage,
    source: row.source as ViolationJson["source"],
    detected_at: row.detectedAt.toISOString(),
  };
}
