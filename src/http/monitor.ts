/**
 * `/v1/monitor`: the live monitor as it stands, read from the Durable Object itself, with
 * its health (admin-api.md, "Monitor, version 2"): coverage joins the polled accounts'
 * (read from Postgres) to the live ones'. Dead letters are listed and retryable. Session
 * tokens are masked here too.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { maskSecret } from "../accounts/present.ts";
import { allMonitors, monitorFor } from "../live/client/address.ts";
import { healthOf, mergeCoverage } from "../live/core/health.ts";
import { pollingCoverage } from "../poll/pollable.ts";
import { BEARER, newApi } from "./api-env.ts";
import { notFound } from "./errors.ts";
import {
  DeadLetterListSchema,
  DeadLetterRetrySchema,
  MonitorStatusSchema,
  SubscriptionListSchema,
} from "./monitor-schemas.ts";
import { errorResponses, IdParamSchema } from "./schemas.ts";

const tags = ["monitor"];

const status = createRoute({
  method: "get",
  path: "/",
  tags,
  security: BEARER,
  summary: "The live monitor: health, coverage, connection, subscriptions, counters, writes",
  responses: {
    200: {
      description: "The monitor's status",
      content: { "application/json": { schema: MonitorStatusSchema } },
    },
    ...errorResponses(),
  },
});

const subscriptions = createRoute({
  method: "get",
  path: "/subscriptions",
  tags,
  security: BEARER,
  summary: "The accounts the live monitor is subscribed to",
  responses: {
    200: {
      description: "Subscriptions",
      content: { "application/json": { schema: SubscriptionListSchema } },
    },
    ...errorResponses(),
  },
});

const deadLetters = createRoute({
  method: "get",
  path: "/dead-letters",
  tags,
  security: BEARER,
  summary: "Outbox entries set aside after failing on their own, with their error",
  responses: {
    200: {
      description: "Dead letters, oldest first",
      content: { "application/json": { schema: DeadLetterListSchema } },
    },
    ...errorResponses(),
  },
});

const retryDeadLetter = createRoute({
  method: "post",
  path: "/dead-letters/{id}/retry",
  tags,
  security: BEARER,
  summary: "Write one dead letter again",
  description: "It leaves the list when it lands; otherwise it stays with its new error.",
  request: { params: IdParamSchema },
  responses: {
    200: {
      description: "The outcome",
      content: { "application/json": { schema: DeadLetterRetrySchema } },
    },
    ...errorResponses(400, 404),
  },
});

type MonitorStatusJson = z.infer<typeof MonitorStatusSchema>;

export const monitorApi = newApi()
  .openapi(status, async (c) => {
    // One shard today (src/live/client/address.ts): it is the whole monitor.
    const s = await monitorFor(c.env).status();
    const coverage = mergeCoverage(s.coverage, await pollingCoverage(c.var.db, Date.now()));
    const body: MonitorStatusJson = {
      ...s,
      ...healthOf({
        linkDownS: s.link_down_s,
        oldestPendingS: s.oldest_pending_s,
        deadLetters: s.dead_letters,
        accountsStale: coverage.accounts_stale,
      }),
      coverage,
      shards: [
        {
          shard: 0,
          connection: s.connection,
          subscriptions: s.subscriptions,
          events: s.events,
          pending_writes: s.pending_writes,
          oldest_pending_s: s.oldest_pending_s,
        },
      ],
    };
    return c.json(body, 200);
  })
  .openapi(subscriptions, async (c) => {
    const lists = await Promise.all(allMonitors(c.env).map((m) => m.subscriptions()));
    const items = lists.flat().map((s) => ({ ...s, session_id: maskSecret(s.session_id) }));
    return c.json({ items }, 200);
  })
  .openapi(deadLetters, async (c) => {
    const items = await monitorFor(c.env).deadLetters();
    return c.json({ items }, 200);
  })
  .openapi(retryDeadLetter, async (c) => {
    const { id } = c.req.valid("param");
    const result = await monitorFor(c.env).retryDeadLetter(id);
    if (!result.found) throw notFound("dead letter", id);
    return c.json({ id, landed: result.landed }, 200);
  });
