/**
 * The zod schemas of `/v1/monitor`, `/v1/poll` and `/health` (docs/api.md, "Monitor and
 * poller", "Health and docs"). The monitor's answers allow extra fields: it reports more
 * counters than the contract names.
 */
import { z } from "@hono/zod-openapi";
import { LINK_STATES } from "../live/core/connection.ts";
import { MAX_SHARDS } from "../live/core/shard.ts";
import { id, isoTime, reasonField } from "./schemas.ts";

const ConnectionSchema = z.looseObject({
  state: z.enum(LINK_STATES),
  url: z.string(),
  connected_since: z.string().nullable(),
  reconnects: z.number().int(),
  last_message_at: z.string().nullable(),
});

const ReasonsSchema = z.array(
  z.enum(["link_down", "writes_stalled", "dead_letters", "accounts_stale"]),
);

const LagSchema = z.object({
  samples: z.number().int(),
  p50_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
  max_ms: z.number().nullable(),
});

const CoverageSchema = z.object({
  max_unwatched_s: z.number(),
  accounts_stale: z.number().int(),
});

export const MonitorStatusSchema = z
  .looseObject({
    connection: ConnectionSchema.openapi({
      description:
        "The worst link among shards holding accounts (shard 0's when none); reconnects summed.",
    }),
    subscriptions: z.number().int(),
    events: z.looseObject({
      received: z.number().int(),
      applied: z.number().int(),
      unroutable: z.number().int(),
      unsubscribed: z.number().int(),
      invalid: z.number().int(),
      stale: z.number().int(),
    }),
    pending_writes: z.number().int(),
    lag: LagSchema.optional(),
    oldest_pending_s: z.number().optional(),
    link_down_s: z.number().optional(),
    unroutable_samples: z.array(z.string()).optional().openapi({
      description:
        "The last few events that named no subscribed account, for diagnosis: session ids masked.",
    }),
    invalid_samples: z.array(z.string()).optional().openapi({
      description:
        "The last few events refused for their time stamp, for diagnosis: session ids masked.",
    }),
    health: z.enum(["ok", "degraded"]),
    reasons: ReasonsSchema,
    shards: z
      .array(
        z.looseObject({
          shard: z.number().int().openapi({ description: "0 .. LIVE_SHARDS-1" }),
          connection: ConnectionSchema,
          subscriptions: z.number().int(),
          events: z.looseObject({ received: z.number().int(), applied: z.number().int() }),
          pending_writes: z.number().int(),
          oldest_pending_s: z.number(),
          lag: LagSchema,
          dead_letters: z.number().int(),
          link_down_s: z.number(),
          coverage: CoverageSchema,
          health: z.enum(["ok", "degraded"]),
          reasons: ReasonsSchema,
        }),
      )
      .openapi({ description: "Each shard (one Durable Object, one Events connection)." }),
    dead_letters: z.number().int(),
    rows_persisted_per_tick: z
      .object({
        last: z.number().int(),
        max: z.number().int(),
        backlog: z.number().int(),
      })
      .optional()
      .openapi({
        description:
          "Risk rows the monitor rewrote to its own storage in its last persist tick and at most in one tick (bounded), and how many accounts' stored figures are behind memory (summed over shards).",
      }),
    coverage: z.object({
      max_unwatched_s: z.number().openapi({
        description: "The longest any active account has now gone without a reading, s.",
      }),
      accounts_stale: z.number().int(),
    }),
  })
  .openapi("MonitorStatus");

export const DeadLetterListSchema = z
  .object({
    items: z.array(
      z.object({
        id: id().openapi({ description: "Per shard: retry it with its `shard`." }),
        shard: z.number().int(),
        account_id: id(),
        error: z.string(),
        violations: z.array(z.string()).openapi({ description: "rule and period of each" }),
        status: z.string().nullable(),
        monitoring_state: z.string().nullable(),
        created_at: isoTime(),
        failed_at: isoTime(),
      }),
    ),
  })
  .openapi("DeadLetterList");

export const DeadLetterRetrySchema = z
  .object({ id: id(), shard: z.number().int(), landed: z.boolean() })
  .openapi("DeadLetterRetry");

export const DeadLetterRetryQuerySchema = z.object({
  shard: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_SHARDS - 1)
    .optional()
    .openapi({ description: "The dead letter's shard (as listed)." }),
});

export const SubscriptionListSchema = z
  .object({
    items: z.array(
      z.object({
        account_id: id(),
        login: z.string(),
        server: z.string(),
        session_id: z.string().openapi({ description: "Masked." }),
        subscribed_at: isoTime(),
        last_event_at: isoTime().nullable(),
      }),
    ),
  })
  .openapi("SubscriptionList");

export const PollBodySchema = z
  .strictObject({
    account_ids: z
      .array(id())
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: "1-500 ids. Absent (or no body at all): a full sweep." }),
    reason: reasonField(),
  })
  .openapi("PollRequest");

export const PollReportSchema = z
  .object({
    polled: z.number().int(),
    entered_live: z.number().int(),
    exited_live: z.number().int(),
    violations: z.number().int(),
    errors: z.number().int(),
    duration_ms: z.number(),
  })
  .openapi("PollReport");

export const SweepStartedSchema = z
  .object({ accounts: z.number().int().openapi({ description: "Pollable accounts now." }) })
  .openapi("SweepStarted");

export const HealthSchema = z
  .object({ ok: z.literal(true), version: z.string() })
  .openapi("Health");
