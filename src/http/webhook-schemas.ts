/**
 * The zod schemas of `/v1/webhooks` (docs/alerts.md): bodies, queries and answers. They
 * validate at the edge and feed `GET /openapi.json`. URL policy (https only, no private
 * hosts) is checked by the route with src/alerts/url-policy.ts, since it depends on the run.
 */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../domain/alert-events.ts";
import { reasonField } from "./schemas.ts";

const INT_MAX = 2_147_483_647;

const url = z
  .string()
  .min(1)
  .max(2000)
  .openapi({ example: "https://crm.example.com/hooks/sentinel" });
const events = z
  .array(z.enum([...EVENT_TYPES, "*"]))
  .min(1)
  .max(EVENT_TYPES.length)
  .refine((e) => !e.includes("*") || e.length === 1, {
    error: 'use ["*"] alone for every event',
  })
  .openapi({ example: ["violation.recorded", "account.warning"] });
const description = z
  .string()
  .max(200)
  .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" })
  .nullable();
const format = z.enum(["standard", "slack"]);

export const CreateWebhookSchema = z
  .strictObject({
    url,
    events,
    description: description.optional(),
    format: format.default("standard"),
    reason: reasonField(),
  })
  .openapi("CreateWebhook");

export const PatchWebhookSchema = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.optional(),
    format: format.optional(),
    enabled: z.boolean().optional(),
    rotate_secret: z
      .literal(true)
      .optional()
      .openapi({ description: "Replace the secret; the answer shows the new one, once." }),
    reason: reasonField(),
  })
  .openapi("PatchWebhook");

export const WebhookSchema = z
  .object({
    id: z.number().int(),
    url: z.string().openapi({ description: "Credentials in the URL are masked." }),
    description: z.string().nullable(),
    events: z.array(z.string()),
    format,
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z
    .string()
    .openapi({ description: "whsec_ + base64: shown only in this answer; keep it safe." }),
}).openapi("WebhookWithSecret");

export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) }).openapi("WebhookList");

export const WebhookIdParamSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(INT_MAX)
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

export const RetryParamSchema = WebhookIdParamSchema.extend({
  message_id: z
    .string()
    .regex(/^msg_[0-9a-f]{32}$/, { error: "must be a message id such as msg_0123...cdef" })
    .openapi({ param: { name: "message_id", in: "path" } }),
});

export const DeliveriesQuerySchema = z.object({
  status: z
    .enum(["delivered", "retrying", "failed"])
    .optional()
    .openapi({ description: "Only attempts with this outcome." }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(200).optional(),
});

export const AttemptSchema = z
  .object({
    id: z.number().int(),
    message_id: z.string(),
    type: z.string(),
    at: z.string(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
    outcome: z.enum(["delivered", "retrying", "failed"]),
  })
  .openapi("WebhookAttempt");

export const AttemptListSchema = z
  .object({ items: z.array(AttemptSchema), next_cursor: z.string().nullable() })
  .openapi("WebhookAttemptList");

export const AcceptedSchema = z
  .object({ message_id: z.string(), status: z.literal("pending") })
  .openapi("WebhookAccepted");
