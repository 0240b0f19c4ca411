/**
 * The zod schemas of `/v1/monitor`, `/v1/poll` and `/health` (admin-api.md, "Monitor and
 * poller", "Health and docs"). The monitor's answers allow extra fields: it reports more
 * counters than the contract names.
 */
import { LINK_STATES } from "../live/core/connection.ts";
import { z } from "@hono/zod-openapi";
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
  })
  .openapi("MonitorStatus");

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
