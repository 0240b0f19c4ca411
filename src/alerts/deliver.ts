/**
 * Carries out a batch of deliveries: reads them with their message and endpoint, attempts the
 * pending ones at most {@link DELIVERY_CONCURRENCY} at a time (a Worker opens at most 6
 * connections at once and queues the rest: docs/alerts.md, "Delivery"), each attempt's timeout
 * started when its request is sent, so a slow receiver never makes others time out unsent; then
 * writes every attempt, each delivery's next state and each endpoint's failure run in one
 * transaction, and finally enqueues the retries on the slow lane with their delay.
 * An endpoint failing for 3 days is disabled (audited) and its pending deliveries failed.
 */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookMessages,
} from "../db/schema.ts";
import { openCached, openStored, workerSealKeys } from "../secrets/keys.ts";
import type { SealKeys } from "../secrets/seal.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { log } from "../util/log.ts";
import { attemptDelivery, nextState, type AttemptResult, type Next } from "./attempt.ts";
import type { MessagePayload } from "../domain/alert-events.ts";
import { auditEndpoint, urlMaskOf } from "./endpoints.ts";
import { enqueueDeliveries, type AlertQueues, type Enqueue } from "./forward.ts";
import { buildRequest, type EndpointFormat } from "./request.ts";
import { ATTEMPT_TIMEOUT_MS, shouldDisable } from "./schedule.ts";
import { checkWebhookUrl } from "./url-policy.ts";

export interface DeliverOptions {
  queues: AlertQueues;
  /** Local runs only: loopback receivers allowed. */
  allowLoopback: boolean;
  /** Epoch ms; a fake clock in tests. */
  now?: () => number;
  fetcher?: typeof fetch;
  /** The keys that open stored secrets; the running Worker's when absent. */
  keys?: SealKeys;
  /** One attempt's timeout (ms); {@link ATTEMPT_TIMEOUT_MS} unless a test shortens it. */
  timeoutMs?: number;
}

/**
 * Attempts in flight at once: a Worker invocation has at most 6 simultaneous open connections
 * and holds further `fetch` calls until one closes, while their timeout already runs.
 */
export const DELIVERY_CONCURRENCY = 6;

interface Row {
  id: number;
  status: string;
  attempts: number;
  firstAttemptAt: Date;
  messageId: string;
  payload: MessagePayload;
  endpointId: number;
  /** As stored: sealed (src/secrets/seal.ts), or in clear on a row from before sealing. */
  url: string;
  urlMask: string | null;
  format: string;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  enabled: boolean;
  failingSince: Date | null;
}

interface Outcome {
  row: Row;
  result: AttemptResult;
  next: Next;
  at: number;
}

/** What a batch did: deliveries attempted, delivered, failed for good, endpoints disabled. */
export interface DeliverReport {
  attempted: number;
  delivered: number;
  failed: number;
  disabled: number[];
}

/**
 * The secrets a delivery is signed with, in clear: the endpoint's, and for 24 h after a
 * rotation the one before it too (docs/alerts.md, "Delivery").
 */
async function signingSecrets(row: Row, keys: SealKeys, at: number): Promise<string[]> {
  const secrets = [await openStored(keys, row.secret)];
  if (row.previousSecret && row.previousSecretUntil && row.previousSecretUntil.getTime() > at)
    secrets.push(await openStored(keys, row.previousSecret));
  return secrets;
}

/** The URL in clear (opened once per isolate); null when it cannot be opened (logged). */
async function openUrl(row: Row, opts: DeliverOptions): Promise<string | null> {
  try {
    return await openCached(opts.keys ?? (await workerSealKeys()), row.url);
  } catch (err) {
    log("alerts:secret_unopened", { endpoint_id: row.endpointId, what: "url" }, err);
    return null;
  }
}

async function attemptOne(row: Row, opts: DeliverOptions, now: () => number): Promise<Outcome> {
  const at = now();
  let result: AttemptResult;
  const url = await openUrl(row, opts);
  // A URL that cannot be opened (a key gone) is not a bad URL: retried like a secret.
  const verdict = url === null ? null : checkWebhookUrl(url, opts.allowLoopback);
  if (!row.enabled) {
    result = { ok: false, statusCode: null, error: "endpoint disabled", durationMs: 0 };
  } else if (verdict && !verdict.ok) {
    result = { ok: false, statusCode: null, error: `url ${verdict.reason}`, durationMs: 0 };
  } else {
    let secrets: string[];
    try {
      secrets = await signingSecrets(row, opts.keys ?? (await workerSealKeys()), at);
    } catch (err) {
      // A secret sealed under a key this Worker no longer has: retried, and logged.
      log("alerts:secret_unopened", { endpoint_id: row.endpointId }, err);
      secrets = [];
    }
    const req =
      secrets.length === 0 || url === null
        ? null
        : buildRequest(row.format as EndpointFormat, row.messageId, row.payload, secrets, at);
    result =
      req === null
        ? {
            ok: false,
            statusCode: null,
            error: "secret cannot be opened (SECRETS_KEY)",
            durationMs: 0,
          }
        : await attemptDelivery(
            opts.fetcher ?? fetch,
            url!,
            req.headers,
            req.body,
            opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS,
          );
  }
  const attempts = row.attempts + 1;
  const next: Next =
    !row.enabled || (verdict && !verdict.ok)
      ? { status: "failed" }
      : nextState(result.ok, attempts, row.firstAttemptAt.getTime(), now());
  return { row, result, next, at };
}

/** Delivers the deliveries `ids` (those still pending); see the module comment. */
export async function deliverBatch(
  db: Db,
  ids: readonly number[],
  opts: DeliverOptions,
): Promise<DeliverReport> {
  const now = opts.now ?? Date.now;
  const rows: Row[] = await db
    .select({
      id: webhookDeliveries.id,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      firstAttemptAt: webhookDeliveries.firstAttemptAt,
      messageId: webhookDeliveries.messageId,
      payload: webhookMessages.payload,
      endpointId: webhookEndpoints.id,
      url: webhookEndpoints.url,
      urlMask: webhookEndpoints.urlMask,
      format: webhookEndpoints.format,
      secret: webhookEndpoints.secret,
      previousSecret: webhookEndpoints.previousSecret,
      previousSecretUntil: webhookEndpoints.previousSecretUntil,
      enabled: webhookEndpoints.enabled,
      failingSince: webhookEndpoints.failingSince,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookMessages, sql`${webhookMessages.id} = ${webhookDeliveries.messageId}`)
    .innerJoin(webhookEndpoints, sql`${webhookEndpoints.id} = ${webhookDeliveries.endpointId}`)
    .where(inArray(webhookDeliveries.id, [...new Set(ids)]))
    .then((r) => r.map((x) => ({ ...x, payload: x.payload as MessagePayload })));
  const due = rows.filter((r) => r.status === "pending");
  const report: DeliverReport = { attempted: due.length, delivered: 0, failed: 0, disabled: [] };
  if (due.length === 0) return report;

  const outcomes = await mapWithConcurrency(due, DELIVERY_CONCURRENCY, (r) =>
    attemptOne(r, opts, now),
  );
  const t = now();

  // Per endpoint: any success ends its failure run; otherwise the run starts (or goes on).
  const byEndpoint = new Map<number, { ok: boolean; failingSince: Date | null; url: string }>();
  // `url` here is what the audit shows: the stored mask (docs/security.md, "Secrets at rest").
  for (const o of outcomes) {
    const e = byEndpoint.get(o.row.endpointId);
    byEndpoint.set(o.row.endpointId, {
      ok: (e?.ok ?? false) || o.result.ok,
      failingSince: o.row.failingSince,
      url: urlMaskOf(o.row),
    });
  }
  const recovered = [...byEndpoint].filter(([, e]) => e.ok && e.failingSince).map(([id]) => id);
  const failing = [...byEndpoint].filter(([, e]) => !e.ok).map(([id]) => id);
  const toDisable = [...byEndpoint]
    .filter(([, e]) => !e.ok && shouldDisable(e.failingSince?.getTime() ?? null, t))
    .map(([id]) => id);

  const retries: Enqueue[] = [];
  await db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values(
      outcomes.map((o) => ({
        deliveryId: o.row.id,
        endpointId: o.row.endpointId,
        messageId: o.row.messageId,
        at: new Date(o.at),
        statusCode: o.result.statusCode,
        error: o.result.error,
        durationMs: o.result.durationMs,
        outcome: o.next.status === "pending" ? "retrying" : o.next.status,
      })),
    );
    const input = outcomes.map((o) => ({
      id: o.row.id,
      status: o.next.status,
      attempts: o.row.attempts + 1,
      next_attempt_at: new Date(o.next.status === "pending" ? o.next.at : o.at).toISOString(),
    }));
    await tx.execute(sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
          as v(id bigint, status text, attempts int, next_attempt_at timestamptz)
      )
      update webhook_deliveries d set status = i.status, attempts = i.attempts,
        next_attempt_at = i.next_attempt_at
      from input i where d.id = i.id and d.status = 'pending'`);
    const at = new Date(t);
    if (recovered.length)
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(inArray(webhookEndpoints.id, recovered));
    if (failing.length)
      await tx
        .update(webhookEndpoints)
        .set({
          failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${at.toISOString()}::timestamptz)`,
        })
        .where(inArray(webhookEndpoints.id, failing));
    if (toDisable.length) {
      const disabled = await tx
        .update(webhookEndpoints)
        .set({ enabled: false, disabledReason: "failing for 3 days", updatedAt: at })
        .where(sql`${inArray(webhookEndpoints.id, toDisable)} and ${webhookEndpoints.enabled}`)
        .returning({ id: webhookEndpoints.id, failingSince: webhookEndpoints.failingSince });
      if (disabled.length) {
        for (const d of disabled)
          await auditEndpoint(
            tx,
            d.id,
            "disabled",
            {
              reason: "failing for 3 days",
              failing_since: d.failingSince?.toISOString() ?? null,
              url: byEndpoint.get(d.id)!.url,
            },
            "system",
            at,
          );
        await tx
          .update(webhookDeliveries)
          .set({ status: "failed" })
          .where(
            sql`${inArray(
              webhookDeliveries.endpointId,
              disabled.map((d) => d.id),
            )} and ${webhookDeliveries.status} = 'pending'`,
          );
        report.disabled = disabled.map((d) => d.id);
      }
    }
  });

  for (const o of outcomes) {
    if (o.next.status === "delivered") report.delivered++;
    else if (o.next.status === "failed") report.failed++;
    else if (!report.disabled.includes(o.row.endpointId))
      retries.push({ id: o.row.id, failing: true, delayS: o.next.delayS });
  }
  await enqueueDeliveries(opts.queues, retries);
  for (const id of report.disabled) log("alerts:endpoint_disabled", { endpoint_id: id });
  return report;
}
