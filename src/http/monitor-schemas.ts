/**
 * The zod schemas of `/v1/monitor`, `/v1/poll` and `/health` (admin-api.md, "Monitor and
 * poller", "Health and docs"). The monitor's answers allow extra fields: it reports more
 * counters than the contract names.
 */
import { z } from "@hono/zod-openapi";
import { LINK_STATES } from "../live/core/connection.ts";
import { id, isoTime } from "./schemas.ts";

export const MonitorStatusSchema = z
  .looseObject({
    connection: z.looseObject({
      state: z.enum(LINK_STATES),
      url: z.string(),
      connected_since: z.string().nullable(),
      reconnects: z.number().int(),
      last_message_at: z.string().nullable(),
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
    health: z.enum(["ok", "degraded"]),
    reasons: z.array(z.enum(["link_down", "writes_stalled", "dead_letters", "accounts_stale"])),
    shards: z.array(
      z.looseObject({
        shard: z.number().int(),
        subscriptions: z.number().int(),
        pending_writes: z.number().int(),
        oldest_pending_s: z.number(),
      }),
    ),
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
        id: id(),
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
  .object({ id: id(), landed: z.boolean() })
  .openapi("DeadLetterRetry");

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
