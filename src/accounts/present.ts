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
  rules: RuleParams;
  metrics: AccountMetrics | null;
  problem: string | null;
  /**
   * When every objective was first met (ISO-8601), or null; present only for an account whose
   * rules have objectives (risk-rules.md v2).
   */
  objectives_met_at?: string | null;
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
    rules: row.rules,
    metrics: row.metrics ?? null,
    problem: row.problem,
    ...(row.rules.objectives === undefined
      ? {}
      : { objectives_met_at: row.objectivesMetAt?.toISOString() ?? null }),
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
