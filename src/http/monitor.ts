/**
 * `/v1/monitor`: the live monitor as it stands, read from every shard's Durable Object, with
 * its health (docs/api.md, "Monitor, version 2", "Shards"): the top-level figures are the
 * totals over shards, `shards` lists each; coverage joins the polled accounts' (read from
 * Postgres) to the live ones'. Subscriptions and dead letters are listed over every shard;
 * a dead letter is retried on its shard. Session tokens are masked here too.
 */
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import { maskSecret } from "../domain/redact.ts";
import { allShards, monitorOfShard } from "../live/client/address.ts";
import { totalStatus, type ShardStatus } from "../live/client/shard-status.ts";
import { healthOf, mergeCoverage } from "../live/core/health.ts";
import { pollingCoverage } from "../poll/pollable.ts";
import { newApi } from "./api-env.ts";
import { notFound } from "./errors.ts";
import {
  DeadLetterListSchema,
  DeadLetterRetryQuerySchema,
  DeadLetterRetrySchema,
  MonitorStatusSchema,
  SubscriptionListSchema,
} from "./monitor-schemas.ts";
import { IdParamSchema } from "./schemas.ts";

const tags = ["monitor"];

const status = apiRoute({
  method: "get",
  path: "/",
  role: "viewer",
  tags,
  summary: "The live monitor: health, coverage, connection, subscriptions, counters, writes",
  description:
    "The top-level figures are totals over the shards (`LIVE_SHARDS`): counts summed, the " +
    "worst link among shards holding accounts, the worst shard's lag percentiles and oldest " +
    "pending write; `shards` lists each shard.",
  errors: [],
  responses: {
    200: {
      description: "The monitor's status",
      content: { "application/json": { schema: MonitorStatusSchema } },
    },
  },
});

const subscriptions = apiRoute({
  method: "get",
  path: "/subscriptions",
  role: "viewer",
  tags,
  summary: "The accounts the live monitor is subscribed to, over every shard",
  errors: [],
  responses: {
    200: {
      description: "Subscriptions",
      content: { "application/json": { schema: SubscriptionListSchema } },
    },
  },
});

const deadLetters = apiRoute({
  method: "get",
  path: "/dead-letters",
  role: "viewer",
  tags,
  summary: "Outbox entries set aside after failing on their own, with their error and shard",
  errors: [],
  responses: {
    200: {
      description: "Dead letters, oldest first",
      content: { "application/json": { schema: DeadLetterListSchema } },
    },
  },
});

const retryDeadLetter = apiRoute({
  method: "post",
  path: "/dead-letters/{id}/retry",
  role: "operator",
  tags,
  summary: "Write one dead letter again",
  description:
    "It leaves the list when it lands; otherwise it stays with its new error. Ids are per " +
    "shard: `shard` names the shard (without it, the first shard holding that id).",
  request: { params: IdParamSchema, query: DeadLetterRetryQuerySchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "The outcome",
      content: { "application/json": { schema: DeadLetterRetrySchema } },
    },
  },
});

type MonitorStatusJson = z.infer<typeof MonitorStatusSchema>;

/** Every configured shard's status (one call per shard, in parallel). */
async function shardStatuses(env: Env): Promise<ShardStatus[]> {
  return Promise.all(
    allShards(env).map(async (shard) => ({
      shard,
      ...(await monitorOfShard(env, shard).status()),
    })),
  );
}

export const monitorApi = newApi()
  .openapi(status, async (c) => {
    const shards = await shardStatuses(c.env);
    const s = totalStatus(shards);
    const coverage = mergeCoverage(s.coverage, await pollingCoverage(c.var.db, Date.now()));
    const body: MonitorStatusJson = {
      ...s,
      connection: { ...s.connection },
      ...healthOf({
        linkDownS: s.link_down_s,
        oldestPendingS: s.oldest_pending_s,
        deadLetters: s.dead_letters,
        accountsStale: coverage.accounts_stale,
      }),
      coverage,
      shards: shards.map((one): MonitorStatusJson["shards"][number] => ({
        shard: one.shard,
        connection: { ...one.connection },
        subscriptions: one.subscriptions,
        events: one.events,
        pending_writes: one.pending_writes,
        oldest_pending_s: one.oldest_pending_s,
        lag: one.lag,
        dead_letters: one.dead_letters,
        link_down_s: one.link_down_s,
        coverage: one.coverage,
        health: one.health,
        reasons: one.reasons,
      })),
    };
    return c.json(body, 200);
  })
  .openapi(subscriptions, async (c) => {
    const lists = await Promise.all(
      allShards(c.env).map((shard) => monitorOfShard(c.env, shard).subscriptions()),
    );
    const items = lists.flat().map((s) => ({ ...s, session_id: maskSecret(s.session_id) }));
    return c.json({ items }, 200);
  })
  .openapi(deadLetters, async (c) => {
    const lists = await Promise.all(
      allShards(c.env).map(async (shard) =>
        (await monitorOfShard(c.env, shard).deadLetters()).map((d) => ({ ...d, shard })),
      ),
    );
    const items = lists.flat().sort((a, b) => a.created_at.localeCompare(b.created_at));
    return c.json({ items }, 200);
  })
  .openapi(retryDeadLetter, async (c) => {
    const { id } = c.req.valid("param");
    const { shard } = c.req.valid("query");
    for (const s of shard === undefined ? allShards(c.env) : [shard]) {
      const result = await monitorOfShard(c.env, s).retryDeadLetter(id);
      if (result.found) return c.json({ id, shard: s, landed: result.landed }, 200);
    }
    throw notFound("dead letter", id);
  });
