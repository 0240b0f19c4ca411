/**
 * The Postgres schema (Neon in production, an embedded engine in dev and tests).
 * Money is `double precision` in the account currency; times are `timestamptz`.
 * Generate migrations with `npm run db:generate` after changing this file.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { MonitoringState, ReadingSource, RiskState, RuleParams } from "../risk/index.ts";
import type { ViolationEvidence } from "../domain/evidence.ts";
import {
  ACCOUNT_PROBLEMS,
  ACCOUNT_STATUSES,
  CREDENTIAL_KINDS,
  CREDENTIAL_STATUSES,
  MONITORING_STATES,
  READING_SOURCES,
} from "../domain/vocabulary.ts";
import type { AccountMetrics } from "../domain/metrics.ts";
import { NEWS_IMPACTS, SEVERITIES } from "../risk/trade-rules/index.ts";
import { TRADE_KINDS, TRADE_STATES } from "../domain/trades/orders.ts";
import type { ActionState } from "../domain/enforcement/action.ts";
import { ENFORCEMENT_MODES } from "../domain/enforcement/policy.ts";

export {
  ACCOUNT_PROBLEMS,
  ACCOUNT_STATUSES,
  MONITORING_STATES,
  READING_SOURCES,
  type AccountProblem,
  type AccountStatus,
} from "../domain/vocabulary.ts";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/**
 * One funded MetaTrader account under watch. A row is never deleted: `DELETE
 * /v1/accounts/{id}` archives it (`status = 'deleted'`), and every table that refers to an
 * account refuses a delete of its row (`on delete restrict`, drizzle/0016_archive_accounts.sql),
 * so violations, evidence, the audit and enforcement actions outlive it. The audit is
 * append-only (a trigger refuses update and delete).
 */
export const accounts = pgTable(
  "accounts",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    login: text("login").notNull(),
    server: text("server").notNull(),
    /**
     * MTAPI session token, sealed (src/secrets/session.ts); a row written before sealing
     * holds it in clear until `npm run secrets:reseal`. Open it only to call MTAPI.
     */
    sessionId: text("session_id").notNull(),
    /** The token's lookup hash (src/secrets/lookup.ts): uniqueness and lookups by token; null while in clear. */
    sessionHash: text("session_hash"),
    /** The token masked as answers show it (`abcd...`); null on rows written before sealing. */
    sessionMask: text("session_mask"),
    label: text("label"),
    /** `active`, `breached`, `disabled` or `deleted` (archived: docs/api.md, "Deleting an account"). */
    status: text("status", { enum: ACCOUNT_STATUSES }).notNull().default("active"),
    /** `polling` (cron over REST) or `live` (subscribed on the shared Events socket). */
    monitoringState: text("monitoring_state", { enum: MONITORING_STATES })
      .notNull()
      .default("polling"),
    /** The preset the rules came from, if any (informational). */
    preset: text("preset"),
    /** Fully resolved rule parameters (docs/rules.md). */
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
    /** The version of `rules` (account_rules.version); bumped by every rules change. */
    rulesVersion: integer("rules_version").notNull().default(1),
    /** When every objective was first met with no breach (docs/rules.md, "Objectives"); set once. */
    objectivesMetAt: timestamp("objectives_met_at", { withTimezone: true, mode: "date" }),
    /**
     * The live-monitor shard (0 .. LIVE_SHARDS-1) that last subscribed the account; null
     * before any (read as shard 0, the former singleton). A hint for moving live accounts
     * when `LIVE_SHARDS` changes (src/live/client/shard-plan.ts), not a state.
     */
    monitorShard: integer("monitor_shard"),
    /**
     * The MetaTrader password the system logs in with (`ConnectEx`), sealed
     * (src/secrets/seal.ts); never returned, logged, exported or audited. Null: none stored.
     */
    credentialsSealed: text("credentials_sealed"),
    /** `investor` or `master`: which password is stored. */
    credentialsKind: text("credentials_kind", { enum: CREDENTIAL_KINDS }),
    credentialsSetAt: timestamp("credentials_set_at", { withTimezone: true, mode: "date" }),
    credentialsLastLoginAt: timestamp("credentials_last_login_at", {
      withTimezone: true,
      mode: "date",
    }),
    /** `ok`, or `rejected` (`INVALID_ACCOUNT`: no retry until changed); null without credentials. */
    credentialsStatus: text("credentials_status", { enum: CREDENTIAL_STATUSES }),
    /** Session renewal backs off per account: no attempt before this time. */
    sessionRenewAfter: timestamp("session_renew_after", { withTimezone: true, mode: "date" }),
    /** Renewal attempts that failed in a row (the backoff's exponent). */
    sessionRenewFailures: integer("session_renew_failures").notNull().default(0),
    /**
     * Bumped by every reset (docs/rules.md; docs/security.md "Reset epochs"): a breach after
     * a reset is a violation of its own, even in the same period.
     */
    resetEpoch: integer("reset_epoch").notNull().default(0),
    /** When the last reset opened the current epoch; null before any reset. */
    resetAt: timestamp("reset_at", { withTimezone: true, mode: "date" }),
    /** `off` (default), `dry_run` or `on`; the deployment's `ENFORCEMENT` caps it (docs/enforcement.md, "Policy"). */
    enforcement: text("enforcement", { enum: ENFORCEMENT_MODES }).notNull().default("off"),
    /** Set while a `close_all_and_lock` lock holds (docs/enforcement.md, "Lock"). */
    lockedAt: timestamp("locked_at", { withTimezone: true, mode: "date" }),
    /** When the lock ends by itself (a `daily_loss` lock); null: only an operator's reset. */
    lockedUntil: timestamp("locked_until", { withTimezone: true, mode: "date" }),
    lockRule: text("lock_rule"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    /** One account per login and server, deleted (archived) ones aside: they may be created again. */
    uniqueIndex("accounts_login_server_key")
      .on(t.login, t.server)
      .where(sql`${t.status} <> 'deleted'`),
    /**
     * One active account per MTAPI session: a duplicate would misroute Events frames. Sealed
     * tokens are compared by their lookup hash; tokens still in clear by value.
     */
    uniqueIndex("accounts_active_session_hash_key")
      .on(t.sessionHash)
      .where(sql`${t.status} = 'active'`),
    uniqueIndex("accounts_active_session_key")
      .on(t.sessionId)
      .where(sql`${t.status} = 'active' and ${t.sessionHash} is null`),
    index("accounts_status_monitoring_idx").on(t.status, t.monitoringState, t.id),
    /**
     * The At risk listing (src/accounts/at-risk.ts `usageExpr`, the same expression): a page
     * of one status by usage is an index range scan, not a sort of every account.
     */
    index("accounts_status_usage_idx").on(
      t.status,
      sql`coalesce((${t.metrics}->'usage'->>'overall')::double precision, -1)`,
      t.id,
    ),
    check(
      "accounts_status_check",
      sql`${t.status} in ('active', 'breached', 'disabled', 'deleted')`,
    ),
    check("accounts_monitoring_check", sql`${t.monitoringState} in ('polling', 'live')`),
    check("accounts_enforcement_check", sql`${t.enforcement} in ('off', 'dry_run', 'on')`),
  ],
);

/** A breached rule. At most one per (account, rule, period): retries are safe. */
export const violations = pgTable(
  "violations",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
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
    /** The rules version that judged it; null on violations recorded before versions existed. */
    rulesVersion: integer("rules_version"),
    /** What explains the breach, kept at breach time (see src/accounts/evidence.ts). */
    evidence: jsonb("evidence").$type<ViolationEvidence>(),
    /** `hard` fails the account; `soft` (trade rules) is recorded and leaves it active (docs/trades.md). */
    severity: text("severity", { enum: SEVERITIES }).notNull().default("hard"),
    /** The ticket behind a trade-rule violation; null for the loss rules and account-wide ones. */
    ticket: bigint("ticket", { mode: "number" }),
    /** The account's reset epoch the breach happened in: one violation per rule, period and epoch. */
    resetEpoch: integer("reset_epoch").notNull().default(0),
  },
  (t) => [
    uniqueIndex("violations_account_rule_period_epoch_key").on(
      t.accountId,
      t.rule,
      t.period,
      t.resetEpoch,
    ),
    index("violations_detected_idx").on(t.detectedAt, t.id),
    index("violations_severity_detected_idx").on(t.severity, t.detectedAt, t.id),
    index("violations_account_ticket_idx")
      .on(t.accountId, t.ticket)
      .where(sql`${t.ticket} is not null`),
    check("violations_severity_check", sql`${t.severity} in ('hard', 'soft')`),
  ],
);

/**
 * Positions, pending orders and balance operations read from MTAPI (docs/trades.md,
 * "Ingest"). One row per (account, ticket, open time): a ticket the broker reuses later is a
 * new trade. Times are UTC (broker server time converted).
 */
export const trades = pgTable(
  "trades",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    ticket: bigint("ticket", { mode: "number" }).notNull(),
    symbol: text("symbol").notNull(),
    /** The bridge's `orderType`: Buy, Sell, BuyLimit, ..., Balance. */
    orderType: text("order_type").notNull(),
    kind: text("kind", { enum: TRADE_KINDS }).notNull(),
    /** `open`, `closed`, or `vanished` (left the open list with no close seen yet). */
    state: text("state", { enum: TRADE_STATES }).notNull(),
    lots: doublePrecision("lots").notNull(),
    openTime: timestamp("open_time", { withTimezone: true, mode: "date" }).notNull(),
    openPrice: doublePrecision("open_price"),
    closeTime: timestamp("close_time", { withTimezone: true, mode: "date" }),
    closePrice: doublePrecision("close_price"),
    stopLoss: doublePrecision("stop_loss").notNull().default(0),
    takeProfit: doublePrecision("take_profit").notNull().default(0),
    profit: doublePrecision("profit").notNull().default(0),
    swap: doublePrecision("swap").notNull().default(0),
    commission: doublePrecision("commission").notNull().default(0),
    /** The first time a stop loss was seen on it; null when never. */
    stopLossSeenAt: timestamp("stop_loss_seen_at", { withTimezone: true, mode: "date" }),
    /** `event`, `opened` (OpenedOrders) or `history` (OrderHistory): who wrote it last. */
    source: text("source").notNull(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("trades_account_ticket_open_key").on(t.accountId, t.ticket, t.openTime),
    index("trades_account_state_open_idx").on(t.accountId, t.state, t.openTime, t.id),
    index("trades_close_time_idx").on(t.closeTime),
    check("trades_kind_check", sql`${t.kind} in ('position', 'pending', 'balance')`),
    check("trades_state_check", sql`${t.state} in ('open', 'closed', 'vanished')`),
  ],
);

/** Per account: how far order history has been read, and the ingest's bad-input counters. */
export const tradeSync = pgTable("trade_sync", {
  accountId: integer("account_id")
    .primaryKey()
    .references(() => accounts.id, { onDelete: "restrict" }),
  /** Order history is read from here (less an overlap) next time. */
  historyTo: timestamp("history_to", { withTimezone: true, mode: "date" }),
  /** Bad or odd input seen so far, by reason (counted, never fatal). */
  counts: jsonb("counts").$type<Record<string, number>>().notNull().default({}),
  /**
   * The trading days (firm's trading-day zone, as `reset epoch:YYYY-MM-DD`) on which a
   * position opened or closed: what `min_trading_days` counts once trades are read
   * (docs/trades.md, "Trading days"). Kept here so thinning old trades loses no day.
   */
  tradeDays: jsonb("trade_days").$type<string[]>().notNull().default([]),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * The UTC offset of a broker server's clock, as the live monitor learnt it (docs/trades.md,
 * "Broker time"): read by the poll path before the configured `BROKER_UTC_OFFSETS`.
 */
export const serverClocks = pgTable(
  "server_clocks",
  {
    server: text("server").primaryKey(),
    /** Minutes east of UTC. */
    offsetMinutes: integer("offset_minutes").notNull(),
    learntAt: timestamp("learnt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [check("server_clocks_offset_check", sql`${t.offsetMinutes} between -1440 and 1440`)],
);

export const PROPOSAL_STATES = ["proposed", "confirmed", "dismissed"] as const;

/**
 * A balance operation seen in order history (deposit, withdrawal, credit), offered to an
 * operator as an adjustment (docs/trades.md, "Balance operations"): never applied until one
 * confirms it, then through the bounded adjustment path. One per (account, ticket, time).
 */
export const adjustmentProposals = pgTable(
  "adjustment_proposals",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    ticket: bigint("ticket", { mode: "number" }).notNull(),
    /** When the broker booked it (UTC). */
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    /** The bridge's `orderType`: `Balance` or `Credit`. */
    orderType: text("order_type").notNull(),
    /** Account currency: > 0 a deposit (or credit), < 0 a withdrawal. */
    amount: doublePrecision("amount").notNull(),
    state: text("state", { enum: PROPOSAL_STATES }).notNull().default("proposed"),
    /** The adjustment recorded when confirmed. */
    adjustmentId: bigint("adjustment_id", { mode: "number" }),
    decidedBy: text("decided_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("adjustment_proposals_account_ticket_at_key").on(t.accountId, t.ticket, t.at),
    index("adjustment_proposals_state_idx").on(t.state, t.accountId, t.id),
    check(
      "adjustment_proposals_state_check",
      sql`${t.state} in ('proposed', 'confirmed', 'dismissed')`,
    ),
  ],
);
export type AdjustmentProposalRow = typeof adjustmentProposals.$inferSelect;

/** The firm's economic calendar (docs/trades.md, "Calendar"). */
export const calendarEvents = pgTable(
  "calendar_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    currency: text("currency").notNull(),
    impact: text("impact", { enum: NEWS_IMPACTS }).notNull(),
    title: text("title").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("calendar_events_at_currency_title_key").on(t.at, t.currency, t.title),
    check("calendar_events_impact_check", sql`${t.impact} in ('low', 'medium', 'high')`),
  ],
);

/** Symbol -> currencies overrides of the news rule (`US30`: `["USD"]`). */
export const calendarSymbols = pgTable("calendar_symbols", {
  symbol: text("symbol").primaryKey(),
  currencies: jsonb("currencies").$type<string[]>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * Equity history for charts and evidence. Thinned as it ages by the cron
 * (src/accounts/retention.ts): full detail 7 days, then one per 5 minutes, hourly after 90.
 */
export const readings = pgTable(
  "readings",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    balance: doublePrecision("balance").notNull(),
    equity: doublePrecision("equity").notNull(),
    /** Overall usage in %. */
    usage: doublePrecision("usage").notNull(),
    source: text("source").notNull(),
  },
  (t) => [
    index("readings_account_at_idx").on(t.accountId, t.at),
    // Retention reads one time slice of every account at once.
    index("readings_at_idx").on(t.at),
    // One reading per account, instant and source: a replayed batch writes it once.
    uniqueIndex("readings_account_at_source_key").on(t.accountId, t.at, t.source),
  ],
);

/**
 * The audit trail (docs/api.md, "Audit trail, reasons and rule versions"): every change and every system decision.
 * Rows written before version 2 have no `action` or `actor`; they are derived from `field`,
 * `to_value` and `source` when read (src/accounts/audit.ts). Key events have no account.
 */
export const accountAudit = pgTable(
  "account_audit",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id").references(() => accounts.id, { onDelete: "restrict" }),
    /** `monitoring_state` or `status` for state changes; null for other actions. */
    field: text("field"),
    fromValue: text("from_value"),
    toValue: text("to_value"),
    /** The operator's reason, or the system's (e.g. `usage 97.2% >= 97%`); null when none given. */
    reason: text("reason"),
    /** `poll`, `event`, `api`, `reconcile`. */
    source: text("source").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** e.g. `account.reset`, `account.breached`, `key.created` (docs/api.md). */
    action: text("action"),
    /** A key's name, `admin-token`, `poller` or `monitor`. */
    actor: text("actor"),
    before: jsonb("before"),
    after: jsonb("after"),
  },
  (t) => [
    index("account_audit_account_idx").on(t.accountId, t.at),
    index("account_audit_actor_idx").on(t.actor, t.id),
    index("account_audit_action_idx").on(t.action, t.id),
  ],
);

/** Every version of an account's rules; version 1 is the rules it was created with. */
export const accountRules = pgTable(
  "account_rules",
  {
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    version: integer("version").notNull(),
    rules: jsonb("rules").$type<RuleParams>().notNull(),
    preset: text("preset"),
    effectiveFrom: timestamp("effective_from", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
    actor: text("actor"),
    reason: text("reason"),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.version] })],
);

/**
 * Console sessions ended at sign-out (docs/security.md): a signed cookie naming one of these
 * ids is refused until it would have expired anyway; the cron may drop rows past `expires_at`.
 */
export const consoleSessionRevocations = pgTable(
  "console_session_revocations",
  {
    /** The session id the cookie carries (random, 128 bits, base64url). */
    id: text("id").primaryKey(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("console_session_revocations_expires_idx").on(t.expiresAt)],
);

/** Named API keys with a role (docs/api.md, "API keys and roles"). Only a hash is kept. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    /** `viewer`, `operator` or `admin`. */
    role: text("role").notNull(),
    /** The key's first characters (`sk_ab12`), for display. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key, lowercase hex. */
    hash: text("hash").notNull(),
    createdBy: text("created_by"),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("api_keys_hash_key").on(t.hash),
    uniqueIndex("api_keys_active_name_key")
      .on(t.name)
      .where(sql`${t.revokedAt} is null`),
    check("api_keys_role_check", sql`${t.role} in ('viewer', 'operator', 'admin')`),
  ],
);

/**
 * Balance adjustments (deposits > 0, withdrawals < 0, corrections): kept and listed. The
 * risk engine applies each once, in id order: the risk state carries the newest id applied.
 */
export const accountAdjustments = pgTable(
  "account_adjustments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    /** Account currency; never zero. */
    amount: doublePrecision("amount").notNull(),
    note: text("note"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("account_adjustments_account_idx").on(t.accountId, t.id)],
);

/**
 * A firm's webhook receiver (docs/alerts.md). `url` may hold credentials: answers and logs
 * show it masked (src/alerts/url-policy.ts). `secret` is `whsec_` + base64, shown once, and
 * stored sealed (docs/security.md, "Secrets at rest").
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    /** The URL, sealed (src/secrets/seal.ts); in clear on rows written before sealing. */
    url: text("url").notNull(),
    /** The URL masked as answers and the audit show it; null on rows written before sealing. */
    urlMask: text("url_mask"),
    description: text("description"),
    /** Event types it receives; `["*"]` for all. */
    events: jsonb("events").$type<string[]>().notNull(),
    /** `standard` (signed Standard Webhooks) or `slack` (`{"text"}`, unsigned). */
    format: text("format").notNull().default("standard"),
    /** The signing secret, sealed (src/secrets/seal.ts); rows written before sealing hold it in clear until re-sealed. */
    secret: text("secret").notNull(),
    /** The secret before the last rotation, sealed: it keeps signing beside the new one until `previous_secret_until`. */
    previousSecret: text("previous_secret"),
    previousSecretUntil: timestamp("previous_secret_until", { withTimezone: true, mode: "date" }),
    enabled: boolean("enabled").notNull().default(true),
    /** Why it was disabled (an operator, or 3 days of failures); null while enabled. */
    disabledReason: text("disabled_reason"),
    /** Start of the current run of failed attempts; null after any success. */
    failingSince: timestamp("failing_since", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check("webhook_endpoints_format_check", sql`${t.format} in ('standard', 'slack')`)],
);

/**
 * The alert outbox: one row per event, written in the transaction of the change that caused it
 * (src/alerts/record.ts). `dispatched_at` is set once its deliveries exist.
 */
export const webhookMessages = pgTable(
  "webhook_messages",
  {
    /** The Standard Webhooks message id (`webhook-id`), `msg_...`. */
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    /** The body every endpoint receives: `{type, timestamp, data}`. */
    payload: jsonb("payload").$type<{ type: string; timestamp: string; data: unknown }>().notNull(),
    /** Set for a message meant for one endpoint only (`webhook.test`). */
    targetEndpointId: integer("target_endpoint_id").references(() => webhookEndpoints.id, {
      onDelete: "cascade",
    }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("webhook_messages_pending_idx")
      .on(t.createdAt)
      .where(sql`${t.dispatchedAt} is null`),
    // The last health announcement (src/poll/poller-health.ts reads it every minute).
    index("webhook_messages_health_idx")
      .on(t.createdAt)
      .where(sql`${t.type} in ('monitor.degraded', 'monitor.recovered')`),
  ],
);

/** One message to one endpoint: its state across attempts. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    messageId: text("message_id")
      .notNull()
      .references(() => webhookMessages.id, { onDelete: "cascade" }),
    endpointId: integer("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** `pending`, `delivered` or `failed`. */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** When the next attempt is due (the queue message's delay matches it). */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
    /** Start of the retry window (24 h); reset by an operator's retry. */
    firstAttemptAt: timestamp("first_attempt_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_message_endpoint_key").on(t.messageId, t.endpointId),
    index("webhook_deliveries_pending_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check(
      "webhook_deliveries_status_check",
      sql`${t.status} in ('pending', 'delivered', 'failed')`,
    ),
  ],
);

/** The deliveries log: one row per HTTP attempt. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: bigint("delivery_id", { mode: "number" })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    endpointId: integer("endpoint_id").notNull(),
    messageId: text("message_id").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    /** HTTP status of the answer; null when there was none (timeout, network error). */
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    /** What the attempt led to: `delivered`, `retrying` or `failed`. */
    outcome: text("outcome").notNull(),
  },
  (t) => [index("webhook_attempts_endpoint_idx").on(t.endpointId, t.id)],
);

/**
 * Audit of webhook endpoint changes (created, updated, secret rotated, deleted, disabled after
 * failing). Kept apart from `account_audit`, whose rows belong to an account.
 */
export const webhookAudit = pgTable(
  "webhook_audit",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** No foreign key: the trail outlives a deleted endpoint. */
    endpointId: integer("endpoint_id").notNull(),
    /** `created`, `updated`, `secret_rotated`, `deleted`, `disabled`, `tested`, `retried`. */
    action: text("action").notNull(),
    /** Changed fields and values, URLs masked, never a secret. */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull(),
    /** `api` (the admin token) or `system` (delivery). */
    actor: text("actor").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("webhook_audit_endpoint_idx").on(t.endpointId, t.at)],
);

/**
 * Share links (docs/trader-page.md): a token that lets one trader read one account's page.
 * Only the token's SHA-256 is kept; the token itself is shown once, at creation.
 */
export const accountShares = pgTable(
  "account_shares",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    /** SHA-256 of the token, lowercase hex. */
    tokenHash: text("token_hash").notNull(),
    /** Who made the link (a key's name or `admin-token`). */
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    revokedBy: text("revoked_by"),
  },
  (t) => [
    uniqueIndex("account_shares_token_hash_key").on(t.tokenHash),
    index("account_shares_account_idx").on(t.accountId, t.id),
  ],
);

export type AccountRow = typeof accounts.$inferSelect;
export type AccountAdjustmentRow = typeof accountAdjustments.$inferSelect;
export type NewAccountRow = typeof accounts.$inferInsert;
export type ViolationRow = typeof violations.$inferSelect;
export type TradeRow = typeof trades.$inferSelect;
export type CalendarEventRow = typeof calendarEvents.$inferSelect;
export type AuditRow = typeof accountAudit.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type RulesVersionRow = typeof accountRules.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type AccountShareRow = typeof accountShares.$inferSelect;

/**
 * Leases that keep a job single: a sweep takes the row of its name while `expires_at` has
 * passed (src/poll/lease.ts) and gives it back when done; a crashed holder's lease lapses.
 */
export const sweepLease = pgTable("sweep_lease", {
  name: text("name").primaryKey(),
  /** Who holds it: a random id per sweep. */
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
});

/**
 * An enforcement action (docs/enforcement.md, "Exactly once"): at most one per violation,
 * created in the violation's transaction; `machine` is the pure core's state, written before
 * every command it carries out. A runner holds the lease (`lease_owner`, `lease_until`) and
 * writes only while it does, so two runners never act on one action.
 */
export const enforcementActions = pgTable(
  "enforcement_actions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    violationId: integer("violation_id").references(() => violations.id, { onDelete: "set null" }),
    /** `close_all` (a breach) or `lock_guard` (a position seen while locked). */
    kind: text("kind", { enum: ["close_all", "lock_guard"] }).notNull(),
    rule: text("rule"),
    lock: boolean("lock").notNull().default(false),
    dryRun: boolean("dry_run").notNull(),
    state: text("state", { enum: ["pending", "running", "done", "failed"] })
      .notNull()
      .default("pending"),
    machine: jsonb("machine").$type<ActionState>().notNull(),
    /** The floor the breach crossed (slippage is measured from it). */
    floor: doublePrecision("floor"),
    failure: text("failure"),
    leaseOwner: text("lease_owner"),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    /** Not to be resumed before (a wait for the market, a backoff). */
    resumeAt: timestamp("resume_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("enforcement_actions_violation_key")
      .on(t.violationId)
      .where(sql`${t.violationId} is not null`),
    uniqueIndex("enforcement_actions_open_guard_key")
      .on(t.accountId)
      .where(sql`${t.kind} = 'lock_guard' and ${t.state} in ('pending', 'running')`),
    index("enforcement_actions_due_idx")
      .on(t.resumeAt)
      .where(sql`${t.state} in ('pending', 'running')`),
    index("enforcement_actions_account_idx").on(t.accountId, t.id),
    check("enforcement_actions_kind_check", sql`${t.kind} in ('close_all', 'lock_guard')`),
    check(
      "enforcement_actions_state_check",
      sql`${t.state} in ('pending', 'running', 'done', 'failed')`,
    ),
  ],
);

/** Each step of an action as last persisted (a projection of `machine` for queries). */
export const enforcementSteps = pgTable(
  "enforcement_steps",
  {
    actionId: bigint("action_id", { mode: "number" })
      .notNull()
      .references(() => enforcementActions.id, { onDelete: "cascade" }),
    ticket: bigint("ticket", { mode: "number" }).notNull(),
    action: text("action").notNull(),
    symbol: text("symbol"),
    state: text("state").notNull(),
    sends: integer("sends").notNull().default(0),
    closePrice: doublePrecision("close_price"),
    closeTime: text("close_time"),
    profit: doublePrecision("profit"),
    settledBy: text("settled_by"),
    error: text("error"),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.actionId, t.ticket] })],
);

/** The operator's kill switch: one row (id 1). */
export const enforcementHalt = pgTable(
  "enforcement_halt",
  {
    id: integer("id").primaryKey(),
    halted: boolean("halted").notNull().default(false),
    reason: text("reason"),
    actor: text("actor"),
    at: timestamp("at", { withTimezone: true, mode: "date" }),
  },
  (t) => [check("enforcement_halt_singleton_check", sql`${t.id} = 1`)],
);
