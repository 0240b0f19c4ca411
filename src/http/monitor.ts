/**
 * `/v1/monitor`: the live monitor as it stands, read from the Durable Object itself (the only
 * routes that do not answer from Postgres). Session tokens are masked here too.
 */
import { createRoute } from "@hono/zod-openapi";
import { maskSecret } from "../accounts/present.ts";
import { allMonitors, monitorFor } from "../live/client/address.ts";
import { BEARER, newApi } from "./api-env.ts";
import { MonitorStatusSchema, SubscriptionListSchema } from "./monitor-schemas.ts";
import { errorResponses } from "./schemas.ts";

const tags = ["monitor"];

const status = createRoute({
  method: "get",
  path: "/",
  tags,
  security: BEARER,
  summary: "The live monitor: connection, subscriptions, event counters, pending writes",
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

export const monitorApi = newApi()
  .openapi(status, async (c) => {
    // One shard today (src/live/client/address.ts): it is the whole monitor.
    return c.json(await monitorFor(c.env).status(), 200);
  })
  .openapi(subscriptions, async (c) => {
    const lists = await Promise.all(allMonitors(c.env).map((m) => m.subscriptions()));
    const items = lists.flat().map((s) => ({ ...s, session_id: maskSecret(s.session_id) }));
    return c.json({ items }, 200);
  });
