/**
 * `/v1/webhooks`: the firm's webhook endpoints (docs/alerts.md, "Endpoints"). Every change is
 * audited (`webhook_audit`) in its own transaction. The secret (`whsec_` + base64) is shown
 * in the create answer and in the answer of a `rotate_secret` patch, never again.
 *
 * Roles (the spec's; the API has one admin token today, so every route takes it — the
 * desk roles work maps these): `viewer` may read (list, read, deliveries log); `operator`
 * may send a test; `admin` creates, changes, deletes, and retries a delivery.
 */
import { alertQueues } from "../alerts/consumer.ts";
import { apiRoute } from "./routes.ts";
import {
  auditEndpoint,
  createEndpoint,
  deleteEndpoint,
  findEndpoint,
  listAttempts,
  listEndpoints,
  presentEndpoint,
  rearmDelivery,
  updateEndpoint,
} from "../alerts/endpoints.ts";
import { enqueueDeliveries } from "../alerts/forward.ts";
import { recordAlerts, sendAlerts } from "../alerts/record.ts";
import { checkWebhookUrl, loopbackAllowed } from "../alerts/url-policy.ts";
import { sealKeysOf } from "../secrets/keys.ts";
import type { Db } from "../db/client.ts";
import type { WebhookEndpointRow } from "../db/schema.ts";
import { newApi } from "./api-env.ts";
import { badRequest, conflict, found, notFound } from "./errors.ts";
import { decodeCursor, pageOf } from "./pagination.ts";
import { ReasonQuerySchema } from "./schemas.ts";
import {
  AcceptedSchema,
  AttemptListSchema,
  CreateWebhookSchema,
  DeliveriesQuerySchema,
  PatchWebhookSchema,
  RetryParamSchema,
  WebhookIdParamSchema,
  WebhookListSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "./webhook-schemas.ts";

const tags = ["webhooks"];
const json = <T>(schema: T) => ({ "application/json": { schema } });

/** The URL if the policy allows it, else a 400 naming `url`. */
function allowedUrl(url: string, env: Env): string {
  const verdict = checkWebhookUrl(url, loopbackAllowed(env));
  if (!verdict.ok) throw badRequest("url not allowed", [{ path: "url", message: verdict.reason }]);
  return url;
}

/** The endpoint with `id`, or a 404. */
async function endpointOr404(db: Db, id: number): Promise<WebhookEndpointRow> {
  return found(await findEndpoint(db, id), "webhook", id);
}

/** The enabled endpoint with `id`; a 404 when it is missing, a 409 when it is disabled. */
async function enabledEndpoint(db: Db, id: number): Promise<WebhookEndpointRow> {
  const row = await endpointOr404(db, id);
  if (!row.enabled) throw conflict(`webhook ${id} is disabled; enable it first`);
  return row;
}

const create = apiRoute({
  method: "post",
  path: "/",
  role: "admin",
  tags,
  summary: "Register an endpoint (role admin); the answer shows its secret, once",
  request: { body: { content: json(CreateWebhookSchema), required: true } },
  errors: [400, 415],
  responses: {
    201: { description: "The endpoint and its secret", content: json(WebhookWithSecretSchema) },
  },
});

const list = apiRoute({
  method: "get",
  path: "/",
  role: "viewer",
  tags,
  summary: "List endpoints, newest first (role viewer)",
  errors: null,
  responses: { 200: { description: "Every endpoint", content: json(WebhookListSchema) } },
});

const get = apiRoute({
  method: "get",
  path: "/{id}",
  role: "viewer",
  tags,
  summary: "Read an endpoint (role viewer)",
  request: { params: WebhookIdParamSchema },
  errors: [400, 404],
  responses: {
    200: { description: "The endpoint", content: json(WebhookSchema) },
  },
});

const patch = apiRoute({
  method: "patch",
  path: "/{id}",
  role: "admin",
  tags,
  summary: "Change an endpoint, enable or disable it, rotate its secret (role admin)",
  request: {
    params: WebhookIdParamSchema,
    body: { content: json(PatchWebhookSchema), required: true },
  },
  errors: [400, 404, 415],
  responses: {
    200: {
      description: "The endpoint (with `secret` when it was rotated)",
      content: json(WebhookWithSecretSchema.partial({ secret: true })),
    },
  },
});

const remove = apiRoute({
  method: "delete",
  path: "/{id}",
  role: "admin",
  tags,
  summary: "Delete an endpoint and its deliveries log (role admin)",
  request: { params: WebhookIdParamSchema, query: ReasonQuerySchema },
  errors: [400, 404],
  responses: { 204: { description: "Deleted" } },
});

const test = apiRoute({
  method: "post",
  path: "/{id}/test",
  role: "operator",
  tags,
  summary: "Send a webhook.test event to this endpoint now (role operator)",
  request: { params: WebhookIdParamSchema },
  errors: [400, 404, 409],
  responses: {
    202: { description: "Queued", content: json(AcceptedSchema) },
  },
});

const deliveries = apiRoute({
  method: "get",
  path: "/{id}/deliveries",
  role: "viewer",
  tags,
  summary: "The deliveries log: every attempt, newest first (role viewer)",
  request: { params: WebhookIdParamSchema, query: DeliveriesQuerySchema },
  errors: [400, 404],
  responses: {
    200: { description: "A page of attempts", content: json(AttemptListSchema) },
  },
});

const retry = apiRoute({
  method: "post",
  path: "/{id}/deliveries/{message_id}/retry",
  role: "admin",
  tags,
  summary: "Attempt one message again now, with a fresh 24 h window (role admin)",
  request: { params: RetryParamSchema },
  errors: [400, 404, 409],
  responses: {
    202: { description: "Queued", content: json(AcceptedSchema) },
  },
});

export const webhooksApi = newApi()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const { row, secret } = await createEndpoint(
      c.var.db,
      {
        url: allowedUrl(body.url, c.env),
        events: body.events,
        description: body.description ?? null,
        format: body.format,
      },
      { actor: c.var.principal.actor, reason: body.reason },
      await sealKeysOf(c.env),
    );
    return c.json({ ...presentEndpoint(row), secret }, 201);
  })
  .openapi(list, async (c) => {
    const rows = await listEndpoints(c.var.db);
    return c.json({ items: rows.map(presentEndpoint) }, 200);
  })
  .openapi(get, async (c) => {
    const row = await endpointOr404(c.var.db, c.req.valid("param").id);
    return c.json(presentEndpoint(row), 200);
  })
  .openapi(patch, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const changes = {
      url: body.url === undefined ? undefined : allowedUrl(body.url, c.env),
      events: body.events,
      description: body.description,
      format: body.format,
      enabled: body.enabled,
      rotateSecret: body.rotate_secret,
    };
    const by = { actor: c.var.principal.actor, reason: body.reason };
    const keys = await sealKeysOf(c.env);
    const { row, secret } = found(
      await updateEndpoint(c.var.db, id, changes, by, keys),
      "webhook",
      id,
    );
    const shown = presentEndpoint(row);
    return c.json(secret !== null ? { ...shown, secret } : shown, 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("query");
    found(
      await deleteEndpoint(c.var.db, id, { actor: c.var.principal.actor, reason }),
      "webhook",
      id,
    );
    return c.body(null, 204);
  })
  .openapi(test, async (c) => {
    const { id } = c.req.valid("param");
    await enabledEndpoint(c.var.db, id);
    const recorded = await c.var.db.transaction(async (tx) => {
      const r = await recordAlerts(tx, [{ type: "webhook.test", data: {}, endpointId: id }]);
      await auditEndpoint(
        tx,
        id,
        "tested",
        { message_id: r.ids[0] },
        { actor: c.var.principal.actor },
      );
      return r;
    });
    await sendAlerts(recorded);
    return c.json({ message_id: recorded.ids[0]!, status: "pending" as const }, 202);
  })
  .openapi(deliveries, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    await endpointOr404(c.var.db, id);
    const rows = await listAttempts(c.var.db, id, {
      outcome: q.status,
      beforeId: decodeCursor("deliveries", q.cursor),
      limit: q.limit,
    });
    const page = pageOf("deliveries", rows, q.limit);
    return c.json(
      {
        items: page.items.map((a) => ({
          ...a,
          outcome: a.outcome as "delivered" | "retrying" | "failed",
        })),
        next_cursor: page.nextCursor,
      },
      200,
    );
  })
  .openapi(retry, async (c) => {
    const { id, message_id } = c.req.valid("param");
    const row = await enabledEndpoint(c.var.db, id);
    const deliveryId = await rearmDelivery(c.var.db, id, message_id, {
      actor: c.var.principal.actor,
    });
    if (deliveryId === undefined) throw notFound(`message ${message_id} of webhook ${id}`);
    const queues = alertQueues(c.env);
    // An endpoint that is failing retries on the slow lane, like its other deliveries.
    if (queues)
      await enqueueDeliveries(queues, [{ id: deliveryId, failing: row.failingSince !== null }]);
    return c.json({ message_id, status: "pending" as const }, 202);
  });
