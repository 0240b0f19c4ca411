/**
 * Rows as the admin API shows them (docs/api.md): snake_case, ISO-8601 times, and MTAPI
 * session tokens masked, since they are secrets.
 */
import { sessionMaskOf } from "../secrets/session.ts";
import type { z } from "@hono/zod-openapi";
import type { AccountMetrics } from "../domain/metrics.ts";
import type { AccountRow, ViolationRow } from "../db/schema.ts";
import { DEFAULT_CURRENCY_DIGITS, roundMoney, type RuleParams } from "../risk/index.ts";
import { presentCredentials } from "../accounts/credentials.ts";
import type { AccountSchema, ViolationSchema } from "./schemas.ts";

/** An account as every endpoint returns it (the shape of the API's `Account` schema). */
export type AccountJson = z.infer<typeof AccountSchema>;

/** A violation as the API lists it (the shape of the API's `Violation` schema). */
export type ViolationJson = z.infer<typeof ViolationSchema>;

/**
 * How far equity is above the nearer of its two floors (the higher one), account currency,
 * rounded like the floors to the currency's smallest unit (`rules.currency_digits`);
 * negative once below it; null without figures.
 */
export function distanceToFloor(
  metrics: AccountMetrics | null,
  rules: Pick<RuleParams, "currency_digits">,
): number | null {
  if (!metrics) return null;
  const floor = Math.max(metrics.daily_floor, metrics.max_floor);
  const scale = 10 ** (rules.currency_digits ?? DEFAULT_CURRENCY_DIGITS);
  return roundMoney(metrics.equity - floor, scale, metrics.equity);
}

/** The account's JSON. */
export function presentAccount(row: AccountRow): AccountJson {
  return {
    id: row.id,
    login: row.login,
    server: row.server,
    session_id: sessionMaskOf(row),
    label: row.label,
    status: row.status,
    monitoring_state: row.monitoringState,
    // The shard watching it, while live (none recorded yet: shard 0, the former singleton).
    monitor_shard: row.monitoringState === "live" ? (row.monitorShard ?? 0) : null,
    preset: row.preset,
    rules: row.rules,
    rules_version: row.rulesVersion,
    metrics: row.metrics ?? null,
    problem: row.problem,
    problem_since: row.problem ? (row.problemSince?.toISOString() ?? null) : null,
    // Never the password: its kind, when it was set and last used, and whether it works.
    credentials: presentCredentials(row),
    distance_to_floor: distanceToFloor(row.metrics ?? null, row.rules),
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
    rules_version: row.rulesVersion ?? null,
    severity: row.severity,
    ticket: row.ticket === null ? null : Number(row.ticket),
    reset_epoch: row.resetEpoch,
  };
}
