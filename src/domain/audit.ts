/**
 * The audit trail (docs/api.md, "Audit trail, reasons and rule versions"): the actions, the
 * actors, the rows writers insert (always inside the transaction of the change they record),
 * and how `GET /v1/audit` presents a row (the query is src/accounts/audit.ts). Rows written before version 2 carry no action or actor;
 * {@link presentAudit} derives both from `field`, `to_value` and `source`.
 */
import type { ChangeSource } from "./outcome.ts";

/** Every action the trail records. */
export const AUDIT_ACTIONS = [
  "account.created",
  "account.updated",
  "account.disabled",
  "account.reset",
  "account.live_forced",
  "account.live_released",
  "account.adjusted",
  "account.breached",
  "account.live_entered",
  "account.live_exited",
  "account.objectives_met",
  "account.enforcement_set",
  "enforcement.halted",
  "enforcement.resumed",
  "key.created",
  "key.revoked",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.secret_rotated",
  "webhook.replayed",
  "webhook.tested",
  "webhook.disabled",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The actor of the bootstrap `ADMIN_TOKEN`. */
export const ADMIN_TOKEN_ACTOR = "admin-token";
/** The actor of the alert delivery system's decisions (disabling a failing endpoint). */
export const ALERTS_ACTOR = "alerts";
/** Actors of the system's own decisions. */
export const SYSTEM_ACTORS = ["poller", "monitor", ALERTS_ACTOR] as const;
/** Names no key may take, since they would pass for another actor. */
export const RESERVED_ACTORS: readonly string[] = [ADMIN_TOKEN_ACTOR, ...SYSTEM_ACTORS];

/** Who made a change and why (the operator's reason, 1-500 characters, or none). */
export interface Actor {
  actor: string;
  reason?: string | null | undefined;
}

/** The system actor behind a writer's source: the poller for polls, the monitor otherwise. */
export function systemActor(source: ChangeSource): string {
  return source === "poll" ? "poller" : source === "api" ? ADMIN_TOKEN_ACTOR : "monitor";
}

/** The action of a system decision on one field. */
export function systemAction(field: string | null, to: string | null): AuditAction | null {
  if (field === "status" && to === "breached") return "account.breached";
  if (field === "monitoring_state" && to === "live") return "account.live_entered";
  if (field === "monitoring_state" && to === "polling") return "account.live_exited";
  return null;
}

/** An audit row as stored (the columns {@link presentAudit} reads). */
export interface AuditRow {
  id: number;
  at: Date;
  actor: string | null;
  action: string | null;
  accountId: number | null;
  reason: string | null;
  source: string;
  field: string | null;
  fromValue: string | null;
  toValue: string | null;
  before: unknown;
  after: unknown;
}

/** The action of a pre-version-2 row (operator changes then had only a field and a value). */
function legacyAction(row: AuditRow): string {
  if (row.source === "api") {
    if (row.field === "status" && row.toValue === "disabled") return "account.disabled";
    if (row.field === "status" && row.toValue === "active") return "account.reset";
    if (row.field === "monitoring_state") {
      return row.toValue === "live" ? "account.live_forced" : "account.live_released";
    }
  }
  return systemAction(row.field, row.toValue) ?? `account.${row.field ?? "changed"}`;
}

/** An audit line as the API shows it. */
export interface AuditJson {
  id: number;
  at: string;
  actor: string;
  action: string;
  account_id: number | null;
  reason: string | null;
  before: unknown;
  after: unknown;
}

/** The audit row's JSON; pre-version-2 rows get their action, actor and before/after derived. */
export function presentAudit(row: AuditRow): AuditJson {
  const fieldChange = (v: string | null) => (row.field ? { [row.field]: v } : null);
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor ?? systemActor(row.source as ChangeSource),
    action: row.action ?? legacyAction(row),
    account_id: row.accountId,
    reason: row.reason,
    before: row.before ?? (row.action ? null : fieldChange(row.fromValue)),
    after: row.after ?? (row.action ? null : fieldChange(row.toValue)),
  };
}

/** The values of one audit row, as `tx.insert(accountAudit).values(...)` takes them. */
export interface AuditValues {
  action: string;
  actor: string;
  accountId: number | null;
  reason: string | null;
  source: string;
  before: unknown;
  after: unknown;
  field: string | null;
  fromValue: string | null;
  toValue: string | null;
  at?: Date;
}

/** The values of one audit row (for `tx.insert(accountAudit).values(...)`). */
export function auditValues(entry: {
  action: AuditAction;
  actor: string;
  accountId: number | null;
  reason?: string | null | undefined;
  source: ChangeSource;
  before?: unknown;
  after?: unknown;
  field?: string | null;
  from?: string | null;
  to?: string | null;
  at?: Date;
}): AuditValues {
  return {
    action: entry.action,
    actor: entry.actor,
    accountId: entry.accountId,
    reason: entry.reason ?? null,
    source: entry.source,
    before: entry.before ?? null,
    after: entry.after ?? null,
    field: entry.field ?? null,
    fromValue: entry.from ?? null,
    toValue: entry.to ?? null,
    ...(entry.at ? { at: entry.at } : {}),
  };
}
