/**
 * The audit trail (docs/api.md, "Audit trail, reasons and rule versions"): the actions, the
 * actors, the rows writers insert (always inside the transaction of the change they record),
 * and how `GET /v1/audit` presents a row (the query is src/accounts/audit.ts). Rows written before version 2 carry no action or actor;
 * {@link presentAudit} derives both from `field`, `to_value` and `source`.
 */
import type { ChangeSource } from "./outcome.ts";
import { maskUrlSecrets } from "./redact.ts";

/** Every action the trail records. */
export const AUDIT_ACTIONS = [
  "account.created",
  "account.updated",
  "account.disabled",
  "account.deleted",
  "account.reset",
  "account.live_forced",
  "account.live_released",
  "account.adjusted",
  "account.adjustment_proposed",
  "account.adjustment_dismissed",
  "account.breached",
  "account.live_entered",
  "account.live_exited",
  "account.objectives_met",
  "account.credentials_set",
  "account.credentials_removed",
  "account.session_replaced",
  "account.session_renewed",
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
  "poll.requested",
  "share.created",
  "share.revoked",
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

/** Letters from other scripts that look like Latin ones, folded to the Latin letter. */
const LOOK_ALIKES: Record<string, string> = {
  а: "a",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  к: "k",
  м: "m",
  т: "t",
  н: "h",
  в: "b",
  ԁ: "d",
  ɡ: "g",
  ո: "n",
  ν: "v",
  ο: "o",
  α: "a",
  ι: "i",
  κ: "k",
  τ: "t",
  ρ: "p",
  ε: "e",
  ı: "i",
  "0": "o",
  "1": "l",
  "|": "l",
};

/**
 * A name as compared with the reserved actors: NFKC (full-width and styled letters to plain),
 * lower case, accents and invisible characters dropped, look-alike letters folded, and
 * separators (`-`, `_`, `.`, spaces) removed.
 */
export function actorSkeleton(name: string): string {
  return [
    ...name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f\u200b-\u200f\u2060\ufeff]/g, "")
      .normalize("NFKC")
      .toLowerCase(),
  ]
    .map((ch) => LOOK_ALIKES[ch] ?? ch)
    .join("")
    .replace(/[\s\-_.·]/g, "")
    .replace(/l/g, "i");
}

/** True when `name` would pass for a reserved actor (any case, look-alike letters, separators). */
export function isReservedActor(name: string): boolean {
  const skeleton = actorSkeleton(name);
  return RESERVED_ACTORS.some((r) => actorSkeleton(r) === skeleton);
}

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

/**
 * Any `url` inside an audit value masked as answers show webhook URLs (docs/security.md):
 * rows written before URLs were masked this thoroughly are masked on the way out.
 */
function maskUrls(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskUrls(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "url" && typeof v === "string" ? maskUrlSecrets(v) : maskUrls(v, depth + 1),
    ]),
  );
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
    before: maskUrls(row.before ?? (row.action ? null : fieldChange(row.fromValue))),
    after: maskUrls(row.after ?? (row.action ? null : fieldChange(row.toValue))),
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
