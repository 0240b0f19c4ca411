/**
 * `/v1/monitor`: the live monitor as it stands, read from every shard's Durable Object, with
 * its health (docs/api.md, "Monitor health and dead letters"; docs/architecture.md, "Shards"): the top-level figures are the
 * totals over shards, `shards` lists each; coverage joins the polled accounts' (read from
 * Postgres) to the live ones'. Subscriptions and dead letters are listed over every shard;
 * a dead letter is retried on its shard. Session tokens are masked here too.
 */
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import { maskSecret, redactText, redactUrl } from "../domain/redact.ts";
import { allShards, monitorOfShard } from "../live/client/address.ts";
import { totalStatus, type ShardStatus } from "../live/client/shard-status.ts";
import type { LinkStatus } from "../live/core/connection.ts";
import { healthOf, mergeCoverage, type Coverage } from "../live/core/health.ts";
import type { LagFigures } from "../live/core/lag.ts";
import { scrubSample, type MonitorStatus } from "../live/core/status.ts";
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

/** A link as answers show it: field by field, its URL's credentials masked. */
function presentConnection(l: LinkStatus): MonitorStatusJson["connection"] {
  return {
    state: l.state,
    url: redactUrl(l.url),
    connected_since: l.connected_since,
    reconnects: l.reconnects,
    last_message_at: l.last_message_at,
  };
}

/** A monitor's event counters, field by field (the samples are not counters). */
function presentEvents(e: MonitorStatus["events"]): MonitorStatusJson["events"] {
  return {
    received: e.received,
    applied: e.applied,
    unroutable: e.unroutable,
    unsubscribed: e.unsubscribed,
    invalid: e.invalid,
    stale: e.stale,
    no_equity: e.no_equity,
    // docs/mtapi-bridge.md: figures not yet the account's, and stamps corrected from server time.
    unsynced: e.unsynced ?? 0,
    server_time: e.server_time ?? 0,
    acks: e.acks,
    service_errors: e.service_errors,
  };
}

const presentLag = (l: LagFigures): LagFigures => ({
  samples: l.samples,
  p50_ms: l.p50_ms,
  p99_ms: l.p99_ms,
  max_ms: l.max_ms,
});

const presentCoverage = (c: Coverage): MonitorStatusJson["coverage"] => ({
  max_unwatched_s: c.max_unwatched_s,
  accounts_stale: c.accounts_stale,
});

/**
 * `GET /v1/monitor`, built field by field from its schema: never a spread of the monitor's
 * own status, which holds more than a reader may see (docs/security.md). The samples kept
 * for diagnosis are masked at the source and again here.
 */
export function presentMonitor(
  shards: readonly ShardStatus[],
  coverage: Coverage,
): MonitorStatusJson {
  const s = totalStatus(shards);
  return {
    connection: presentConnection(s.connection),
    subscriptions: s.subscriptions,
    events: presentEvents(s.events),
    pending_writes: s.pending_writes,
    lag: presentLag(s.lag),
    oldest_pending_s: s.oldest_pending_s,
    dead_letters: s.dead_letters,
    link_down_s: s.link_down_s,
    rows_persisted_per_tick: {
      last: s.rows_persisted_per_tick.last,
      max: s.rows_persisted_per_tick.max,
      backlog: s.rows_persisted_per_tick.backlog,
    },
    unroutable_samples: s.unroutable_samples.map(scrubSample),
    invalid_samples: s.invalid_samples.map(scrubSample),
    ...healthOf({
      linkDownS: s.link_down_s,
      oldestPendingS: s.oldest_pending_s,
      deadLetters: s.dead_letters,
      accountsStale: coverage.accounts_stale,
    }),
    coverage: presentCoverage(coverage),
    shards: shards.map((one): MonitorStatusJson["shards"][number] => ({
      shard: one.shard,
      connection: presentConnection(one.connection),
      subscriptions: one.subscriptions,
      events: presentEvents(one.events),
      pending_writes: one.pending_writes,
      oldest_pending_s: one.oldest_pending_s,
      lag: presentLag(one.lag),
      dead_letters: one.dead_letters,
      link_down_s: one.link_down_s,
      coverage: presentCoverage(one.coverage),
      health: one.health,
      reasons: [...one.reasons],
    })),
  };
}

export const monitorApi = newApi()
  .openapi(status, async (c) => {
    const shards = await shardStatuses(c.env);
    const live = totalStatus(shards).coverage;
    const coverage = mergeCoverage(live, await pollingCoverage(c.var.db, Date.now()));
    return c.json(presentMonitor(shards, coverage), 200);
  })
  .openapi(subscriptions, async (c) => {
    const lists = await Promise.all(
      allShards(c.env).map((shard) => monitorOfShard(c.env, shard).subscriptions()),
    );
    const items = lists.flat().map((s) => ({
      account_id: s.account_id,
      login: s.login,
      server: s.server,
      session_id: maskSecret(s.session_id),
      subscribed_at: s.subscribed_at,
      last_event_at: s.last_event_at,
    }));
    return c.json({ items }, 200);
  })
  .openapi(deadLetters, async (c) => {
    const lists = await Promise.all(
      allShards(c.env).map(async (shard) =>
        (await monitorOfShard(c.env, shard).deadLetters()).map((d) => ({
          id: d.id,
          shard,
          account_id: d.account_id,
          // A database error's text may quote the failed query: masked (docs/security.md).
          error: redactText(d.error),
          violations: [...d.violations],
          status: d.status,
          monitoring_state: d.monitoring_state,
          created_at: d.created_at,
          failed_at: d.failed_at,
        })),
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
