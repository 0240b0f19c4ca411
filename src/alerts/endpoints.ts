/**
 * Webhook endpoints in Postgres: create, read, change and delete them with an audit row in
 * the same transaction, list the deliveries log, and re-arm one delivery. Answers show the URL
 * masked and never the secret, except the create and rotate answers (shown once). The URL and
 * the secret are stored sealed (docs/security.md, "Secrets at rest"), the URL's mask beside it.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import {
  ALERTS_ACTOR,
  auditValues,
  type Actor as DeskActor,
  type AuditAction,
} from "../domain/audit.ts";
import type { Db } from "../db/client.ts";
import {
  webhookAttempts,
  webhookAudit,
  accountAudit,
  webhookDeliveries,
  webhookEndpoints,
  webhookMessages,
  type WebhookEndpointRow,
} from "../db/schema.ts";
import type { Writer } from "./record.ts";
import type { EndpointFormat } from "./request.ts";
import { newSecret } from "./secret.ts";
import { rememberOpened, sealForStorage } from "../secrets/keys.ts";
import { isSealed, type SealKeys } from "../secrets/seal.ts";
import { maskUrl } from "./url-policy.ts";

/** An endpoint as the API shows it. */
export interface EndpointJson {
  id: number;
  /** Credentials masked. */
  url: string;
  description: string | null;
  events: string[];
  format: EndpointFormat;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * The URL as answers and the audit show it: the mask stored beside the sealed URL, or on a
 * row written before sealing (URL in clear, no mask) the URL masked.
 */
export function urlMaskOf(row: { url: string; urlMask: string | null }): string {
  return row.urlMask ?? (isSealed(row.url) ? "***" : maskUrl(row.url));
}

/** A URL as it is stored: sealed (it may carry credentials), with its mask beside it. */
async function storedUrl(keys: SealKeys, url: string): Promise<{ url: string; urlMask: string }> {
  const sealed = await sealForStorage(keys, url);
  rememberOpened(sealed, url);
  return { url: sealed, urlMask: maskUrl(url) };
}

export function presentEndpoint(row: WebhookEndpointRow): EndpointJson {
  return {
    id: row.id,
    url: urlMaskOf(row),
    description: row.description,
    events: row.events,
    format: row.format as EndpointFormat,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    failing_since: row.failingSince?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/**
 * Who made a change: an operator through the API (as the desk audit names them: a key's name
 * or admin-token, with their reason), or the delivery system (disabling a failing endpoint).
 */
export type Actor = "system" | DeskActor;

/** The desk audit's action for each webhook audit action. */
const DESK_ACTIONS: Record<string, AuditAction> = {
  created: "webhook.created",
  updated: "webhook.updated",
  secret_rotated: "webhook.secret_rotated",
  deleted: "webhook.deleted",
  retried: "webhook.replayed",
  tested: "webhook.tested",
  disabled: "webhook.disabled",
};

/**
 * Audits a webhook change in the desk audit (`GET /v1/audit`, `after` naming the endpoint)
 * and, for the readers it always had, in `webhook_audit`; inside the change's transaction.
 */
async function audit(
  tx: Writer,
  endpointId: number,
  action: string,
  detail: Record<string, unknown>,
  actor: Actor,
  at?: Date,
): Promise<void> {
  const by = actor === "system" ? { actor: ALERTS_ACTOR, reason: null } : actor;
  await tx.insert(webhookAudit).values({
    endpointId,
    action,
    detail,
    actor: actor === "system" ? "system" : "api",
    ...(at ? { at } : {}),
  });
  await tx.insert(accountAudit).values(
    auditValues({
      action: DESK_ACTIONS[action] ?? "webhook.updated",
      actor: by.actor,
      accountId: null,
      reason: by.reason,
      source: "api",
      after: { webhook_id: endpointId, ...detail },
      ...(at ? { at } : {}),
    }),
  );
}

export interface NewEndpoint {
  url: string;
  events: string[];
  description: string | null;
  format: EndpointFormat;
}

/** How long a rotated-out secret keeps signing beside the new one (ms): 24 h. */
export const SECRET_OVERLAP_MS = 24 * 3600_000;

/**
 * Creates an endpoint with a fresh secret, stored sealed; returns the row and the secret in
 * clear (answered this once).
 */
export async function createEndpoint(
  db: Db,
  input: NewEndpoint,
  actor: Actor,
  keys: SealKeys,
): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const secret = newSecret();
  const sealed = await sealForStorage(keys, secret);
  const url = await storedUrl(keys, input.url);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ ...input, ...url, secret: sealed })
      .returning();
    await audit(
      tx,
      row!.id,
      "created",
      { url: maskUrl(input.url), events: input.events, format: input.format },
      actor,
    );
    return { row: row!, secret };
  });
}

export async function listEndpoints(db: Db): Promise<WebhookEndpointRow[]> {
  return db.select().from(webhookEndpoints).orderBy(desc(webhookEndpoints.id));
}

export async function findEndpoint(db: Db, id: number): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

export interface EndpointPatch {
  url?: string;
  events?: string[];
  description?: string | null;
  format?: EndpointFormat;
  enabled?: boolean;
  rotateSecret?: boolean;
}

/**
 * Applies a patch with its audit row; undefined when there is no such endpoint. A rotation
 * stores the new secret sealed and keeps the old one signing beside it for
 * {@link SECRET_OVERLAP_MS}; the new secret in clear is returned this once.
 */
export async function updateEndpoint(
  db: Db,
  id: number,
  patch: EndpointPatch,
  actor: Actor,
  keys: SealKeys,
): Promise<{ row: WebhookEndpointRow; secret: string | null } | undefined> {
  const secret = patch.rotateSecret ? newSecret() : null;
  const sealed = secret === null ? null : await sealForStorage(keys, secret);
  const url = patch.url === undefined ? null : await storedUrl(keys, patch.url);
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, id))
      .for("update");
    if (!before) return undefined;
    const set: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: new Date() };
    const detail: Record<string, unknown> = {};
    if (url !== null) {
      Object.assign(set, url);
      detail.url = url.urlMask;
    }
    if (patch.events !== undefined) set.events = detail.events = patch.events;
    if (patch.description !== undefined) set.description = detail.description = patch.description;
    if (patch.format !== undefined) set.format = detail.format = patch.format;
    if (patch.enabled !== undefined) {
      set.enabled = detail.enabled = patch.enabled;
      // Re-enabled: a fresh start. Disabled by an operator: say so.
      set.disabledReason = patch.enabled ? null : "disabled by an operator";
      if (patch.enabled) set.failingSince = null;
    }
    if (sealed !== null) {
      set.secret = sealed;
      set.previousSecret = before.secret;
      set.previousSecretUntil = new Date(Date.now() + SECRET_OVERLAP_MS);
    }
    const [after] = await tx
      .update(webhookEndpoints)
      .set(set)
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (Object.keys(detail).length) await audit(tx, id, "updated", detail, actor);
    if (patch.rotateSecret) await audit(tx, id, "secret_rotated", {}, actor);
    return { row: after!, secret };
  });
}

/** Deletes an endpoint (its deliveries and log go with it); false when there was none. */
export async function deleteEndpoint(db: Db, id: number, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const gone = await tx
      .delete(webhookEndpoints)
      .where(eq(webhookEndpoints.id, id))
      .returning({ url: webhookEndpoints.url, urlMask: webhookEndpoints.urlMask });
    if (!gone.length) return false;
    await audit(tx, id, "deleted", { url: urlMaskOf(gone[0]!) }, actor);
    return true;
  });
}

/** One line of the deliveries log. */
export interface AttemptJson {
  id: number;
  message_id: string;
  type: string;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  /** What the attempt led to: `delivered`, `retrying` or `failed`. */
  outcome: string;
}

/** The endpoint's attempts, newest first, `limit + 1` rows for paging. */
export async function listAttempts(
  db: Db,
  endpointId: number,
  q: { outcome?: string | undefined; beforeId?: number | undefined; limit: number },
): Promise<AttemptJson[]> {
  const rows = await db
    .select({ a: webhookAttempts, type: webhookMessages.type })
    .from(webhookAttempts)
    .innerJoin(webhookMessages, eq(webhookMessages.id, webhookAttempts.messageId))
    .where(
      and(
        eq(webhookAttempts.endpointId, endpointId),
        q.outcome ? eq(webhookAttempts.outcome, q.outcome) : undefined,
        q.beforeId ? lt(webhookAttempts.id, q.beforeId) : undefined,
      ),
    )
    .orderBy(desc(webhookAttempts.id))
    .limit(q.limit + 1);
  return rows.map(({ a, type }) => ({
    id: a.id,
    message_id: a.messageId,
    type,
    at: a.at.toISOString(),
    status_code: a.statusCode,
    error: a.error,
    duration_ms: a.durationMs,
    outcome: a.outcome,
  }));
}

/**
 * Re-arms the delivery of `messageId` to the endpoint for an attempt now, with a fresh 24 h
 * window; returns its id, or undefined when the endpoint never had that message.
 */
export async function rearmDelivery(
  db: Db,
  endpointId: number,
  messageId: string,
  actor: Actor,
): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`now()`, firstAttemptAt: sql`now()` })
      .where(
        and(
          eq(webhookDeliveries.endpointId, endpointId),
          eq(webhookDeliveries.messageId, messageId),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (!row) return undefined;
    await audit(tx, endpointId, "retried", { message_id: messageId }, actor);
    return row.id;
  });
}

export { audit as auditEndpoint };
