/**
 * The zod schemas of the desk additions (docs/api.md, "API keys and roles", "Audit trail,
 * reasons and rule versions", "Breach evidence"):
 * API keys, the audit trail, rule versions and a violation's evidence. They validate input at
 * the edge and produce the OpenAPI document, like schemas.ts.
 */
import { z } from "@hono/zod-openapi";
import { AUDIT_ACTIONS, RESERVED_ACTORS, isReservedActor } from "../domain/audit.ts";
import { RuleParamsSchema } from "../risk/index.ts";
import { ROLES } from "./role-table.ts";
import {
  cursorField,
  id,
  isoTime,
  limitField,
  name,
  reasonField,
  sinceField,
  ViolationSchema,
} from "./schemas.ts";

const RuleParams = RuleParamsSchema.meta({ id: "RuleParams" });

// ---- keys -----------------------------------------------------------------------------

export const RoleSchema = z.enum(ROLES).openapi({ description: "viewer, operator or admin" });

export const CreateKeySchema = z
  .strictObject({
    name: name(100)
      .refine((n) => !isReservedActor(n), {
        error: `must not be one of ${RESERVED_ACTORS.join(", ")} (reserved actors)`,
      })
      .openapi({
        example: "risk-desk-dashboard",
        description: "Unique among live keys; the audit's actor.",
      }),
    role: RoleSchema,
    reason: reasonField(),
  })
  .openapi("CreateKey");

const keyFields = {
  id: id(),
  name: z.string(),
  role: RoleSchema,
  prefix: z.string().openapi({ example: "sk_ab12", description: "The key's first characters." }),
  created_at: isoTime(),
  created_by: z.string().nullable(),
};

export const KeySchema = z
  .object({
    ...keyFields,
    last_used_at: isoTime().nullable().openapi({ description: "Updated at most once a minute." }),
  })
  .openapi("Key");

export const KeyCreatedSchema = z
  .object({
    ...keyFields,
    key: z.string().openapi({ description: "The secret: shown this once." }),
  })
  .openapi("KeyCreated");

export const KeyListSchema = z.object({ items: z.array(KeySchema) }).openapi("KeyList");

// ---- audit ----------------------------------------------------------------------------

export const AuditQuerySchema = z.object({
  account_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  actor: name(100)
    .optional()
    .openapi({ description: "A key's name, admin-token, poller or monitor." }),
  action: z.enum(AUDIT_ACTIONS).optional(),
  since: sinceField,
  limit: limitField,
  cursor: cursorField,
});

export const AuditItemSchema = z
  .object({
    id: z.number().int(),
    at: isoTime(),
    actor: z.string(),
    action: z.string(),
    account_id: z.number().int().nullable(),
    reason: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .openapi("AuditEntry");

export const AuditListSchema = z
  .object({ items: z.array(AuditItemSchema), next_cursor: z.string().nullable() })
  .openapi("AuditList");

// ---- rules versions -------------------------------------------------------------------

export const RulesVersionListSchema = z
  .object({
    items: z.array(
      z.object({
        version: z.number().int().positive(),
        rules: RuleParams,
        effective_from: isoTime(),
        actor: z.string().nullable(),
        reason: z.string().nullable(),
      }),
    ),
  })
  .openapi("RulesVersionList");

// ---- evidence -------------------------------------------------------------------------

const Figures = z.object({
  balance: z.number(),
  equity: z.number(),
  day_start: z.number(),
  hwm: z.number(),
  daily_floor: z.number(),
  max_floor: z.number(),
  usage: z.object({ daily: z.number(), max: z.number(), overall: z.number() }),
  trading_day: z.string(),
  at: isoTime(),
});

export const EvidenceSchema = z
  .object({
    rules_version: z.number().int().nullable(),
    rules: RuleParams,
    figures: Figures,
    readings_before: z.array(
      z.object({
        at: isoTime(),
        balance: z.number(),
        equity: z.number(),
        usage: z.number(),
        source: z.string(),
      }),
    ),
    cause: z.unknown().openapi({
      description:
        "The MTAPI answer ({kind: rest, ...}) or Events message ({kind: event, ...}), tokens masked; null when not recorded.",
    }),
  })
  .openapi("Evidence");

export const ViolationDetailSchema = ViolationSchema.extend({
  evidence: EvidenceSchema.nullable().openapi({
    description: "null for violations recorded before evidence was kept.",
  }),
}).openapi("ViolationDetail");
