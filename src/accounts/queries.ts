/**
 * The reads and plain writes behind the admin API's account, violation and equity routes.
 * Lists are newest first by id, fetched `limit + 1` so the caller knows whether a next page
 * exists. State changes (status, monitoring state) are in state-change.ts.
 */
import { and, asc, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { lockChangeable } from "./archive.ts";
import type { Db } from "../db/client.ts";
import { uniqueViolation } from "../db/errors.ts";
import type { AccountMetrics, EquityPoint } from "../domain/metrics.ts";
import {
  accountAudit,
  accounts,
  readings,
  violations,
  type AccountRow,
  type ViolationRow,
} from "../db/schema.ts";
import type { AccountStatus } from "../db/schema.ts";
import {
  objectivesOf,
  usageOf,
  warningsOf,
  type MonitoringState,
  type RiskState,
  type RuleParams,
} from "../risk/index.ts";
import { auditValues, type Actor } from "../domain/audit.ts";
import { statusFilter, textFilters } from "./at-risk.ts";
import { floorsAndUsage } from "../domain/outcome.ts";
import { storedSession, openSession, sessionMaskOf } from "../secrets/session.ts";
import type { SealKeys } from "../secrets/seal.ts";
import { assertSessionFree, SessionInUseError } from "./sessions.ts";
import { writeFirstVersion, writeNextVersion } from "./rules-versions.ts";

/** What creating an account needs (rules already resolved by the risk engine). */
export type { EquityPoint };

/** The unique keys of `accounts` a write can run into (src/db/schema.ts, drizzle/). */
const ACCOUNT_KEYS = {
  /** One account per (login, server). */
  accounts_login_server_key: "login_server",
  /** One active account per MTAPI session (a duplicate would misroute Events frames). */
  accounts_active_session_key: "active_session",
  /** The same for sealed tokens, by their lookup hash (src/secrets/lookup.ts). */
  accounts_active_session_hash_key: "active_session",
} as const;

/** Which unique rule of accounts a failed insert or update broke, if that is how it failed. */
export type AccountConflict = (typeof ACCOUNT_KEYS)[keyof typeof ACCOUNT_KEYS];

/** The unique rule of accounts `err` broke, or null for any other failure. */
export function accountConflict(err: unknown): AccountConflict | null {
  if (err instanceof SessionInUseError) return "active_session";
  const key = uniqueViolation(err);
  return key !== undefined && key in ACCOUNT_KEYS
    ? ACCOUNT_KEYS[key as keyof typeof ACCOUNT_KEYS]
    : null;
}

export interface NewAccount {
  login: string;
  server: string;
  /** The MTAPI session token in clear: stored sealed (src/secrets/session.ts). */
  sessionToken: string;
  label: string | null;
  preset: string | null;
  rules: RuleParams;
}

/**
 * Inserts an account with its rules as version 1 and an `account.created` audit row, in one
 * transaction. A duplicate (login, server) or a session in use by another active account
 * fails with a unique violation; {@link accountConflict} tells which.
 */
export async function insertAccount(
  db: Db,
  keys: SealKeys | null,
  account: NewAccount,
  by: Actor,
): Promise<AccountRow> {
  const { sessionToken, ...fields } = account;
  const session = await storedSession(keys, sessionToken);
  return db.transaction(async (tx) => {
    await assertSessionFree(tx, keys, sessionToken);
    const [row] = await tx
      .insert(accounts)
      .values({ ...fields, ...session })
      .returning();
    await writeFirstVersion(tx, row!, by);
    await tx.insert(accountAudit).values(
      auditValues({
        action: "account.created",
        actor: by.actor,
        accountId: row!.id,
        reason: by.reason,
        source: "api",
        after: auditedFields(row!),
      }),
    );
    return row!;
  });
}

/** The fields of an account the audit shows before / after a change (secrets masked). */
function auditedFields(row: AccountRow): Record<string, unknown> {
  return {
    login: row.login,
    server: row.server,
    session_id: sessionMaskOf(row),
    label: row.label,
    rules_version: row.rulesVersion,
    rules: row.rules,
  };
}

/** The account with `id`, or null. */
export async function findAccount(db: Db, id: number): Promise<AccountRow | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row ?? null;
}

export interface AccountFilter {
  status?: AccountStatus | undefined;
  monitoringState?: MonitoringState | undefined;
  preset?: string | undefined;
  /** Case-insensitive text in label, login or server. */
  q?: string | undefined;
  /** Only ids below this (the previous page's last id). */
  beforeId?: number | undefined;
  limit: number;
}

/** Up to `limit + 1` accounts, newest first. */
export async function listAccounts(db: Db, f: AccountFilter): Promise<AccountRow[]> {
  const where: SQL[] = [statusFilter(f.status)];
  if (f.monitoringState) where.push(eq(accounts.monitoringState, f.monitoringState));
  where.push(...textFilters(f));
  if (f.beforeId !== undefined) where.push(lt(accounts.id, f.beforeId));
  return db
    .select()
    .from(accounts)
    .where(and(...where))
    .orderBy(desc(accounts.id))
    .limit(f.limit + 1);
}

/** The figures of `metrics` recomputed for new rules: floors and usage move, levels stay. */
export function metricsUnderRules(
  metrics: AccountMetrics | null,
  rules: RuleParams,
  state: RiskState | null,
): AccountMetrics | null {
  if (!metrics || !state) return metrics;
  const next: AccountMetrics = { ...metrics, ...floorsAndUsage(usageOf(rules, state)) };
  delete next.warnings;
  delete next.objectives;
  const warnings = warningsOf(rules, state);
  if (warnings) next.warnings = warnings;
  const objectives = objectivesOf(rules, state);
  if (objectives) next.objectives = objectives;
  return next;
}

/**
 * The fields `PATCH /v1/accounts/{id}` (and `PUT .../session`) may change; undefined leaves a
 * field as it is. A session given resets the renewal backoff, changed or not.
 */
export interface AccountEdit {
  label?: string | null | undefined;
  /** A new MTAPI session token in clear, and the keys it is sealed with. */
  session?: { token: string; keys: SealKeys | null } | undefined;
  rules?: { rules: RuleParams; preset: string | null } | undefined;
}

/**
 * Applies an edit in one transaction (the row is read, locked, to recompute the metrics
 * under new rules): new rules become a new rules version, and the edit an `account.updated`
 * audit row with the changed fields before and after. Returns the updated row, or null when
 * there is no such account.
 */
export async function updateAccount(
  db: Db,
  id: number,
  edit: AccountEdit,
  by: Actor,
): Promise<AccountRow | null> {
  const stored = edit.session ? await storedSession(edit.session.keys, edit.session.token) : null;
  return db.transaction(async (tx) => {
    // Locked, and refused when deleted: a change racing the delete lands first or gets 409.
    const row = await lockChangeable(tx, id);
    if (!row) return null;
    const now = new Date();
    const set: Partial<typeof accounts.$inferInsert> = { updatedAt: now };
    if (edit.label !== undefined) set.label = edit.label;
    let sessionChanged = false;
    if (edit.session && stored) {
      // A token given by hand is used at once: the renewal backoff starts over
      // (docs/mtapi-bridge.md, "Sessions").
      set.sessionRenewAfter = null;
      set.sessionRenewFailures = 0;
      const { token, keys } = edit.session;
      sessionChanged = (await openSession(keys, row.sessionId).catch(() => null)) !== token;
      if (sessionChanged) {
        await assertSessionFree(tx, keys, token, id);
        Object.assign(set, stored);
      }
    }
    if (edit.rules) {
      set.rules = edit.rules.rules;
      set.preset = edit.rules.preset;
      set.metrics = metricsUnderRules(row.metrics, edit.rules.rules, row.riskState);
      set.rulesVersion = await writeNextVersion(tx, row, edit.rules, by, now);
    }
    const [updated] = await tx.update(accounts).set(set).where(eq(accounts.id, id)).returning();
    const before = auditedFields(row);
    const after = auditedFields(updated!);
    const changed = Object.keys(after).filter((k) =>
      k === "session_id" ? sessionChanged : JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    // An edit that changes nothing (an empty body) leaves no audit row.
    if (changed.length === 0) return updated ?? null;
    await tx.insert(accountAudit).values(
      auditValues({
        action: "account.updated",
        actor: by.actor,
        accountId: id,
        reason: by.reason,
        source: "api",
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: Object.fromEntries(changed.map((k) => [k, after[k]])),
      }),
    );
    return updated ?? null;
  });
}

export interface ViolationFilter {
  accountId?: number | undefined;
  /** Only violations detected at or after this time. */
  since?: Date | undefined;
  /** Only `hard` or only `soft` (docs/trades.md, "Severity"). */
  severity?: "hard" | "soft" | undefined;
  beforeId?: number | undefined;
  limit: number;
}

/** Up to `limit + 1` violations, newest first. */
export async function listViolations(db: Db, f: ViolationFilter): Promise<ViolationRow[]> {
  const where: SQL[] = [];
  if (f.accountId !== undefined) where.push(eq(violations.accountId, f.accountId));
  if (f.since) where.push(gte(violations.detectedAt, f.since));
  if (f.severity) where.push(eq(violations.severity, f.severity));
  if (f.beforeId !== undefined) where.push(lt(violations.id, f.beforeId));
  return db
    .select()
    .from(violations)
    .where(and(...where))
    .orderBy(desc(violations.id))
    .limit(f.limit + 1);
}

/** The violation with `id`, evidence included, or null. */
export async function findViolation(db: Db, id: number): Promise<ViolationRow | null> {
  const [row] = await db.select().from(violations).where(eq(violations.id, id));
  return row ?? null;
}

/**
 * The account's readings in [from, to], oldest first; when there are more than `max`, the
 * latest `max` of them.
 */
export async function listReadings(
  db: Db,
  accountId: number,
  from: Date,
  to: Date,
  max: number,
): Promise<EquityPoint[]> {
  const latest = db
    .select({
      id: readings.id,
      at: readings.at,
      balance: readings.balance,
      equity: readings.equity,
      usage: readings.usage,
    })
    .from(readings)
    .where(and(eq(readings.accountId, accountId), gte(readings.at, from), lte(readings.at, to)))
    .orderBy(desc(readings.at), desc(readings.id))
    .limit(max)
    .as("latest");
  return db
    .select({ at: latest.at, balance: latest.balance, equity: latest.equity, usage: latest.usage })
    .from(latest)
    .orderBy(asc(latest.at), asc(latest.id));
}
