/**
 * Schemas of the breach report, the share links and the shared (trader) data
 * (docs/trader-page.md), for validation and the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { MAX_SHARE_DAYS } from "./share-token.ts";
import { MetricsSchema, ObjectivesProgressSchema, id, isoTime, reasonField } from "./schemas.ts";

export const ReportQuerySchema = z.object({
  format: z.enum(["json", "html"]).optional().openapi({
    description: "`html`: a printable page instead of JSON.",
  }),
});

const FloorStepSchema = z.object({
  step: z.string(),
  value: z.number().nullable(),
  text: z.string(),
});

export const BreachReportSchema = z
  .object({
    violation: z.object({
      id: id(),
      account_id: id(),
      rule: z.enum(["daily_loss", "max_loss"]),
      period: z.string(),
      equity: z.number(),
      floor: z.number(),
      usage: z.number(),
      source: z.string(),
      detected_at: isoTime(),
      rules_version: z.number().int().nullable(),
    }),
    rule_text: z.string().openapi({ description: "The rule in plain words." }),
    reading: z.object({
      at: isoTime(),
      equity: z.number(),
      balance: z.number().nullable(),
      source: z.string(),
      source_text: z.string(),
      received_at: z.string().nullable(),
    }),
    trading_day: z
      .object({ day: z.string(), starts_at: isoTime(), ends_at: isoTime(), timezone: z.string() })
      .nullable(),
    floor: z.object({
      value: z.number().openapi({ description: "The floor the risk engine used." }),
      reference: z.number().nullable(),
      reference_text: z.string(),
      allowance: z.number().nullable(),
      allowance_text: z.string(),
      currency_digits: z.number().int(),
      breach_at: z.enum(["below", "at_or_below"]),
      steps: z.array(FloorStepSchema),
      rules_version: z.number().int().nullable(),
      parameters: z.record(z.string(), z.unknown()),
    }),
    figures: z.record(z.string(), z.unknown()).nullable(),
    equity: z.array(
      z.object({ at: isoTime(), equity: z.number(), balance: z.number(), source: z.string() }),
    ),
    check: z.object({
      replayed: z.boolean(),
      engine_floor: z.number().nullable(),
      computed_floor: z.number().nullable(),
      recorded_floor: z.number(),
      engine_breached: z.boolean().nullable(),
      agrees: z.boolean(),
      notes: z.array(z.string()),
    }),
  })
  .openapi("BreachReport");

// ---- share links ----------------------------------------------------------------------

export const CreateShareSchema = z
  .strictObject({
    expires_in_days: z
      .number()
      .int()
      .min(1)
      .max(MAX_SHARE_DAYS)
      .default(30)
      .openapi({ description: `Days until the link stops working: 1-${MAX_SHARE_DAYS}.` }),
    reason: reasonField(),
  })
  .openapi("CreateShare");

export const ShareCreatedSchema = z
  .object({
    id: id(),
    url: z
      .string()
      .openapi({ description: "The trader's page; the token in it is shown this once." }),
    expires_at: isoTime(),
  })
  .openapi("ShareCreated");

export const ShareSchema = z
  .object({
    id: id(),
    account_id: id(),
    state: z.enum(["active", "expired", "revoked"]),
    created_at: isoTime(),
    created_by: z.string(),
    expires_at: isoTime(),
    revoked_at: isoTime().nullable(),
    revoked_by: z.string().nullable(),
  })
  .openapi("Share");

export const ShareListSchema = z.object({ items: z.array(ShareSchema) }).openapi("ShareList");

export const ShareParamSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2_147_483_647)
    .openapi({ param: { name: "id", in: "path" } }),
  share_id: z.coerce
    .number()
    .int()
    .positive()
    .max(2_147_483_647)
    .openapi({ param: { name: "share_id", in: "path" } }),
});

// ---- the shared (trader) data ---------------------------------------------------------

export const TokenParamSchema = z.object({
  token: z
    .string()
    .max(512)
    .openapi({ param: { name: "token", in: "path" } }),
});

export const TokenViolationParamSchema = TokenParamSchema.extend({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2_147_483_647)
    .openapi({ param: { name: "id", in: "path" } }),
});

const FloorViewSchema = z.object({
  rule: z.enum(["daily_loss", "max_loss"]),
  floor: z.number(),
  distance: z.number().openapi({ description: "Equity minus the floor (negative below it)." }),
  usage: z.number().openapi({ description: "% of the rule's allowance used." }),
  text: z.string().openapi({ description: "The rule in plain words." }),
});

export const SharedViolationSchema = z.object({
  id: id(),
  rule: z.enum(["daily_loss", "max_loss"]),
  period: z.string(),
  equity: z.number(),
  floor: z.number(),
  usage: z.number(),
  source: z.string(),
  detected_at: isoTime(),
});

export const SharedAccountSchema = z
  .object({
    account: z.object({
      label: z.string().nullable(),
      login: z.string(),
      server: z.string(),
      status: z.string(),
      currency_digits: z.number().int(),
      initial_balance: z.number(),
    }),
    metrics: MetricsSchema.nullable(),
    floors: z.array(FloorViewSchema),
    next_reset: z.object({
      at: isoTime(),
      in_s: z.number().int(),
      firm_timezone: z.string(),
      trading_day: z.string(),
    }),
    objectives: ObjectivesProgressSchema.nullable(),
    violations: z.array(SharedViolationSchema),
    link: z.object({ expires_at: isoTime() }),
    server_time: isoTime(),
  })
  .openapi("SharedAccount");

export const SharedEquitySchema = z
  .object({
    items: z.array(
      z.object({
        at: isoTime(),
        equity: z.number(),
        balance: z.number(),
        daily_floor: z.number(),
        max_floor: z.number(),
      }),
    ),
  })
  .openapi("SharedEquity");
