/**
 * The zod schemas of the admin API (docs/api.md): every path parameter, query, body and
 * answer of the accounts and violations (the monitor's and the poller's are in
 * monitor-schemas.ts). They validate the input at the edge and produce `GET /openapi.json`, so the two
 * cannot drift apart. Field names are the contract's snake_case.
 */
import { z } from "@hono/zod-openapi";
import {
  ACCOUNT_PROBLEMS,
  ACCOUNT_STATUSES,
  MONITORING_STATES,
  READING_SOURCES,
} from "../db/schema.ts";
import { PRESET_NAMES, RuleParamsSchema, RulesInputSchema } from "../risk/index.ts";
import { CREDENTIAL_KINDS, CREDENTIAL_STATUSES } from "../domain/vocabulary.ts";

/** Postgres `integer` ids: anything larger would be a database error rather than a 400. */
const INT_MAX = 2_147_483_647;

/** A Postgres `integer` id. */
export const id = () => z.number().int().positive().max(INT_MAX);
/** An ISO-8601 time with `Z` or an offset. */
export const isoTime = () => z.iso.datetime({ offset: true });
/**
 * A time in a query string: an ISO date-time (with `Z` or an offset) or a date (UTC midnight),
 * in years 1-9999 (what Postgres and `Date` agree on).
 */
export const queryTime = () =>
  z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], {
      error: "must be an ISO 8601 date-time such as 2026-11-26T06:00:00Z, or a date",
    })
    .transform((s) => new Date(s))
    .refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, {
      error: "must be a real date in the years 1-9999",
    });

/** Free text Postgres can store: no NUL characters. */
export const text = () =>
  z.string().regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" });
/** An identifier: no control characters, no surrounding blanks. */
export const name = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, { error: "must not contain control characters" });

// ---- shared ---------------------------------------------------------------------------

/** Why a change is made (docs/api.md, "Audit trail, reasons and rule versions"): 1-500 characters, kept in the audit. */
export const reasonField = () =>
  z
    .string()
    .trim()
    .min(1, { error: "must be 1-500 characters" })
    .max(500, { error: "must be 1-500 characters" })
    .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" })
    .optional()
    .openapi({
      description: "Why (1-500 characters); kept in the audit trail.",
      example: "trader dispute #812",
    });

/** The body of an action that takes nothing but an optional reason. */
export const ReasonBodySchema = z.strictObject({ reason: reasonField() }).openapi("ReasonBody");

/** The `reason` query parameter of a `DELETE`. */
export const ReasonQuerySchema = z.object({ reason: reasonField() });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({
        example: "validation_failed",
        description:
          "validation_failed, unauthorized, forbidden, not_found, conflict, unsupported_media_type, rate_limited, payload_too_large, misconfigured, internal",
      }),
      message: z.string(),
      details: z.unknown().openapi({
        description: "For validation_failed: [{ path, message }]; otherwise usually null.",
      }),
    }),
  })
  .openapi("Error");

export const IdParamSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(INT_MAX)
    .openapi({ param: { name: "id", in: "path" }, example: 42 }),
});

export const limitField = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .default(100)
  .openapi({ description: "Page size, 1-500.", example: 100 });
export const cursorField = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .openapi({ description: "next_cursor of the previous page (opaque)." });

export const AccountStatusSchema = z.enum(ACCOUNT_STATUSES);
export const MonitoringStateSchema = z.enum(MONITORING_STATES);

// ---- accounts -------------------------------------------------------------------------

const login = name(64).openapi({ example: "12345678" });
const server = name(128).openapi({ example: "Broker-Demo" });
const sessionId = name(256).openapi({
  description: "MTAPI session token (secret; answers show it masked).",
});
const label = text().max(200).nullable().openapi({ example: "Phase 1 #77" });

// zod's own `.meta({ id })` rather than `.openapi(...)`: these schemas come from the risk
// engine, which imports plain zod; under the Vitest pool that can be a second zod instance
// that @hono/zod-openapi never extended. zod-to-openapi reads `.meta()` ids as component names.
const RulesInput = RulesInputSchema.meta({ id: "RulesInput" });
const RuleParams = RuleParamsSchema.meta({ id: "RuleParams" });

export const CreateAccountSchema = z
  .strictObject({
    login,
    server,
    session_id: sessionId.optional().openapi({
      description:
        "MTAPI session token (secret). Optional with `credentials`: the system logs in itself.",
    }),
    credentials: z
      .strictObject({
        password: z.string().min(1).max(256).openapi({ description: "Secret; never returned." }),
        kind: z.enum(CREDENTIAL_KINDS).default("investor"),
      })
      .optional()
      .openapi({
        description: "The password the system logs in with (ConnectEx), sealed at rest.",
      }),
    label: label.optional(),
    rules: RulesInput,
    reason: reasonField(),
  })
  .openapi("CreateAccount", {
    example: {
      login: "12345678",
      server: "Broker-Demo",
      session_id: "373386c4-8e54-4f2e-a2a3-5a1b1c2d3e4f",
      label: "Phase 1 #77",
      rules: { preset: PRESET_NAMES[0], initial_balance: 100000 },
    },
  });

export const PatchAccountSchema = z
  .strictObject({
    label: label.optional(),
    session_id: sessionId.optional(),
    rules: RulesInput.optional(),
    reason: reasonField(),
  })
  .openapi("PatchAccount", {
    description: "Only the fields given change. New rules of a live account reach the monitor.",
  });

export const ListAccountsQuerySchema = z.object({
  status: AccountStatusSchema.optional(),
  monitoring_state: MonitoringStateSchema.optional(),
  sort: z.enum(["id_desc", "usage_desc"]).optional().openapi({
    description:
      "`id_desc` (default): newest first. `usage_desc`: highest overall usage first (accounts without a reading last), the console's at-risk listing.",
  }),
  preset: name(64).optional().openapi({ description: "Only accounts made from this preset." }),
  q: name(100)
    .optional()
    .openapi({ description: "Text search in label, login and server (case-insensitive)." }),
  limit: limitField,
  cursor: cursorField,
});

const UsageSchema = z.object({ daily: z.number(), max: z.number(), overall: z.number() });

const WarningLevelsSchema = z
  .object({ daily_loss: z.array(z.number()), max_loss: z.array(z.number()) })
  .openapi("WarningLevels");

export const ObjectivesProgressSchema = z
  .object({
    profit_target: z
      .object({
        target: z.number(),
        profit: z.number(),
        on: z.enum(["balance", "equity"]),
        reached: z.boolean(),
      })
      .nullable(),
    trading_days: z
      .object({ counted: z.number().int(), required: z.number().int(), reached: z.boolean() })
      .nullable(),
    consistency: z
      .object({
        best_day: z.number(),
        total_profit: z.number(),
        best_day_share: z.number().nullable(),
        max_share: z.number(),
        reached: z.boolean(),
      })
      .nullable(),
    met: z.boolean(),
    met_at: isoTime().nullable(),
  })
  .openapi("ObjectivesProgress");

export const MetricsSchema = z
  .object({
    balance: z.number(),
    equity: z.number(),
    day_start: z.number(),
    hwm: z.number(),
    daily_floor: z.number(),
    max_floor: z.number(),
    usage: UsageSchema.openapi({ description: "% of each rule's allowance used." }),
    trading_day: z.iso.date(),
    updated_at: isoTime(),
    source: z.enum(READING_SOURCES),
    warnings: WarningLevelsSchema.optional().openapi({
      description:
        "warn_at_pct levels reached in each rule's current period (when the rules warn).",
    }),
    objectives: ObjectivesProgressSchema.optional().openapi({
      description: "Progress of the objectives (when the rules have objectives).",
    }),
  })
  .openapi("Metrics");

export const AccountSchema = z
  .object({
    id: id(),
    login: z.string(),
    server: z.string(),
    session_id: z.string().openapi({ description: "Masked: first 4 characters, then ..." }),
    label: z.string().nullable(),
    status: AccountStatusSchema,
    monitoring_state: MonitoringStateSchema,
    monitor_shard: z.number().int().nullable().openapi({
      description:
        "While live: the live-monitor shard (0 .. LIVE_SHARDS-1) watching it; null otherwise.",
    }),
    preset: z
      .string()
      .nullable()
      .openapi({ description: "The preset the rules came from, or null." }),
    rules: RuleParams,
    rules_version: z.number().int().positive().openapi({
      description: "The version of `rules`; GET /v1/accounts/{id}/rules lists them all.",
    }),
    metrics: MetricsSchema.nullable().openapi({ description: "null until the first reading" }),
    problem: z.enum(ACCOUNT_PROBLEMS).nullable().openapi({
      description:
        "Why the account could not be read lately (docs/mtapi-bridge.md); null when it could.",
    }),
    credentials: z
      .object({
        kind: z.enum(CREDENTIAL_KINDS).nullable(),
        set_at: isoTime().nullable(),
        last_login_at: isoTime().nullable(),
        status: z.enum(CREDENTIAL_STATUSES),
      })
      .openapi("AccountCredentials", {
        description:
          "Stored credentials (docs/mtapi-bridge.md): never the password; status `none` without any.",
      }),
    problem_since: isoTime()
      .nullable()
      .openapi({ description: "Since when the current problem holds; null without one." }),
    distance_to_floor: z.number().nullable().openapi({
      description:
        "Equity minus the nearest (higher) of the daily and max floors, account currency, rounded to its currency_digits like the floors; negative below it; null until the first reading.",
    }),
    objectives_met_at: isoTime().nullable().optional().openapi({
      description: "When every objective was first met; only for rules with objectives.",
    }),
    created_at: isoTime(),
    updated_at: isoTime(),
  })
  .openapi("Account");

export const AccountListSchema = z
  .object({ items: z.array(AccountSchema), next_cursor: z.string().nullable() })
  .openapi("AccountList");

export const EquityQuerySchema = z
  .object({
    from: queryTime().optional().openapi({
      description: "Start, ISO 8601 (inclusive); default 24 hours before `to`.",
      type: "string",
    }),
    to: queryTime()
      .optional()
      .openapi({ description: "End, ISO 8601 (inclusive); default now.", type: "string" }),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    path: ["from"],
    message: "must not be after `to`",
  });

export const EquitySchema = z
  .object({
    items: z.array(
      z.object({
        at: isoTime(),
        balance: z.number(),
        equity: z.number(),
        usage: z.number().openapi({ description: "Overall usage, %." }),
        daily_floor: z.number().openapi({
          description: "The daily loss floor in force at this reading (account currency).",
        }),
        max_floor: z.number().openapi({
          description: "The max loss floor in force at this reading (account currency).",
        }),
      }),
    ),
  })
  .openapi("Equity");

// ---- violations -----------------------------------------------------------------------

export const ViolationSchema = z
  .object({
    id: id(),
    account_id: id(),
    rule: z.enum(["daily_loss", "max_loss"]),
    period: z.string().openapi({ description: "Trading day YYYY-MM-DD, or lifetime." }),
    equity: z.number(),
    floor: z.number(),
    usage: z.number(),
    source: z.enum(READING_SOURCES),
    detected_at: isoTime(),
    rules_version: z.number().int().nullable().openapi({
      description: "The rules version that judged it (null if recorded before versions).",
    }),
    reset_epoch: z.number().int().openapi({
      description:
        "The account's reset epoch it happened in (0 before any reset): each reset opens a new one, and a breach after it is a violation of its own.",
    }),
  })
  .openapi("Violation");

export const ViolationListSchema = z
  .object({ items: z.array(ViolationSchema), next_cursor: z.string().nullable() })
  .openapi("ViolationList");

export const sinceField = queryTime().optional().openapi({
  description: "ISO 8601: only violations detected at or after this time.",
  type: "string",
});

export const AccountViolationsQuerySchema = z.object({
  since: sinceField,
  limit: limitField,
  cursor: cursorField,
});

export const ListViolationsQuerySchema = AccountViolationsQuerySchema.extend({
  account_id: z.coerce.number().int().positive().max(INT_MAX).optional(),
});

/** The error answers a `/v1` route may give, for its OpenAPI `responses`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 415 | 422;
export function errorResponses(...statuses: ErrorStatus[]) {
  const descriptions: Record<ErrorStatus, string> = {
    400: "Invalid input",
    401: "Missing, wrong or revoked bearer token",
    403: "The key's role does not allow this operation",
    404: "Not found",
    409: "Conflict",
    415: "Body is not JSON",
    422: "Rules that cannot be resolved",
  };
  const content = { "application/json": { schema: ErrorSchema } };
  return Object.fromEntries(
    [401 as const, 403 as const, ...statuses].map((s) => [
      s,
      { description: descriptions[s], content },
    ]),
  ) as Record<ErrorStatus, { description: string; content: typeof content }>;
}
