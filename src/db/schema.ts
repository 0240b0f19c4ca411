/**
 * The Postgres schema (Neon in production, an embedded engine in dev and tests).
 * Money is `double precision` in the account currency; times are `timestamptz`.
 * Generate migrations with `npm run db:generate` after changing this file.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { MonitoringState, ReadingSource, RiskState, RuleParams } from "../risk/index.ts";
import type { AccountMetrics } from "./metrics.ts";
import type { SummaryProblem } from "../mtapi/account-summary.ts";

/** An account's status: watched, breached (until an operator resets it), or switched off. */
export const ACCOUNT_STATUSES = ["active", "breached", "disabled"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
/** Why an account could not be read lately (`problem`; null when it could). */
export const ACCOUNT_PROBLEMS = [
  "session_expired",
  "mtapi_unreachable",
] as const satisfies readonly SummaryProblem[];
export type AccountProblem = (typeof ACCOUNT_PROBLEMS)[number];
/** The monitoring states (the risk engine's vocabulary) as the column's values. */
export const MONITORING_STATES = ["polling", "live"] as const satisfies readonly MonitoringState[];
/** Where a reading came from (the risk engine's vocabulary) as values. */
export const READING_SOURCES = ["poll", "event"] as const satisfies readonly ReadingSource[];

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** One funded MetaTrader account under watch. */
export const accounts = pgTable(
  "accounts",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    login: text("login").notNull(),
    server: text("server").notNull(),
    /** MTAPI session token: a secret, masked in every API answer. */
    sessionId: text("session_id").notNull(),
    label: text("label"),
    /** `active`, `breached` or `disabled`. */
    status: text("status", { enum: ACCOUNT_STATUSES }).notNull().default("active"),
    /** `polling` (cron over REST) or `live` (subscribed on the shared Events socket). */
    monitoringState: text("monitoring_state", { enum: MONITORING_STATES })
      .notNull()
      .default("polling"),
    /** The preset the rules came from, if any (informational). */
    preset: text("preset"),
    /** Fully resolved rule parameters (risk-rules.md). */
    rules: jsonb("rules").$type<RuleParams>().notNull(),
    /** The risk engine's carried state; null until the first reading. */
    riskState: jsonb("risk_state").$type<RiskState>(),
    /** The latest figures as the API shows them; null until the first reading. */
    metrics: jsonb("metrics").$type<AccountMetrics>(),
    /** `null` or one of {@link ACCOUNT_PROBLEMS}. */
    problem: text("problem", { enum: ACCOUNT_PROBLEMS }),
    problemSince: timestamp("problem_since", { withTimezone: true }),
    /**
     * Bumped on every monitoring-state or status change. Reconciliation compares it so that it
     * never undoes a change that is still on its way from the live monitor.
     */
    stateVersion: integer("state_version").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("accounts_login_server_key").on(t.login, t.server),
    index("accounts_status_monitoring_idx").on(t.status, t.monitoringState, t.id),
    check("accounts_status_check", sql`${t.status} in ('active', 'breached', 'disabled')`),
    check("accounts_monitoring_check", sql`${t.monitoringState} in ('polling', 'live')`),
  ],
);

/** A breached rule. At most one per (account, rule, period): retries are safe. */
export const violations = pgTable(
  "violations",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** `daily_loss` or `max_loss`. */
    rule: text("rule").notNull(),
    /** The trading day (`YYYY-MM-DD`) for the daily rule, `lifetime` for the max rule. */
    period: text("period").notNull(),
    equity: doublePrecision("equity").notNull(),
    floor: doublePrecision("floor").notNull(),
    /** % of the rule's allowance used at detection. */
    usage: doublePrecision("usage").notNull(),
    /** `event` (live monitor) or `poll` (cron sweep). */
    source: text("source").notNull(),
    /** When the breaching reading happened (not when it was written). */
    detectedAt: timestamp("detected_at", { withTimezone: true, mode: "date" }).notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("violations_account_rule_period_key").on(t.accountId, t.rule, t.period),
    index("violations_detected_idx").on(t.detectedAt, t.id),
  ],
);

/** Equity history for charts, thinned by the writers. */
export const readings = pgTable(
  "readings",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    balance: doublePrecision("balance").notNull(),
    equity: doublePrecision("equity").notNull(),
    /** Overall usage in %. */
    usage: doublePrecision("usage").notNull(),
    source: text("source").notNull(),
  },
  (t) => [
    index("readings_account_at_idx").on(t.accountId, t.at),
    // One reading per account, instant and source: a replayed batch writes it once.
    uniqueIndex("readings_account_at_source_key").on(t.accountId, t.at, t.source),
  ],
);

/** Audit of monitoring-state and status changes: who moved an account, when, and why. */
export const accountAudit = pgTable(
  "account_audit",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** `monitoring_state` or `status`. */
    field: text("field").notNull(),
    fromValue: text("from_value"),
    toValue: text("to_value").notNull(),
    /** Short reason, e.g. `usage 97.2% >= 97%`, `breach daily_loss`, `operator reset`. */
    reason: text("reason").notNull(),
    /** `poll`, `event`, `api`, `reconcile`. */
    source: text("source").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("account_audit_account_idx").on(t.accountId, t.at)],
);

export type AccountRow = typeof accounts.$inferSelect;
export type NewAccountRow = typeof accounts.$inferInsert;
export type ViolationRow = typeof violations.$inferSelect;
