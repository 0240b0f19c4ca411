/**
 * Balance adjustments of one account (docs/api.md, "Adjustments"; docs/rules.md, "Balance adjustments"):
 * `POST /v1/accounts/{id}/adjustments` records a deposit (> 0), withdrawal (< 0) or
 * correction, audited; `GET` on the same path lists them, newest first. The writer that owns
 * the account's figures applies each exactly once: the poller on its next poll of a polled
 * account, the live monitor for a live one (src/risk/adjustment.ts).
 */
import { changeableAccountOr409 } from "./accounts.ts";
import { monitorFor, monitorOfShard } from "../live/client/address.ts";
import { apiRoute } from "./routes.ts";
import { log } from "../util/log.ts";
import { z } from "@hono/zod-openapi";
import {
  accountExists,
  listAdjustments,
  presentAdjustment,
  recordAdjustment,
} from "../accounts/adjustments.ts";
import { newApi } from "./api-env.ts";
import { sendAlerts } from "../alerts/record.ts";
import { notFound, unprocessable } from "./errors.ts";
import { IdParamSchema } from "./schemas.ts";

/** The largest adjustment accepted (account currency), as for initial_balance. */
const MAX_AMOUNT = 1e12;

const CreateAdjustmentSchema = z
  .strictObject({
    amount: z
      .number({
        error: (iss) => (iss.input === undefined ? "required" : "must be a finite number"),
      })
      .refine((n) => n !== 0, { error: "must not be zero" })
      .refine((n) => Math.abs(n) <= MAX_AMOUNT, { error: "must be between -1e12 and 1e12" })
      .openapi({
        description: "Account currency: a deposit > 0, a withdrawal < 0.",
        example: 10000,
      }),
    note: z
      .string()
      .trim()
      .min(1, { error: "must not be empty" })
      .max(500)
      .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" })
      .nullable()
      .optional()
      .openapi({ example: "top-up" }),
    reason: z
      .string()
      .min(1)
      .max(500)
      .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" })
      .optional()
      .openapi({ description: "Why (audit); the note is used when it is left out." }),
  })
  .openapi("CreateAdjustment");

const AdjustmentSchema = z
  .object({
    id: z.number().int(),
    account_id: z.number().int(),
    amount: z.number(),
    note: z.string().nullable(),
    created_at: z.iso.datetime({ offset: true }),
  })
  .openapi("Adjustment");

const AdjustmentListSchema = z
  .object({ items: z.array(AdjustmentSchema) })
  .openapi("AdjustmentList");

const tags = ["accounts"];

const create = apiRoute({
  method: "post",
  path: "/{id}/adjustments",
  role: "operator",
  tags,
  summary: "Record a balance adjustment (deposit, withdrawal, correction)",
  description:
    "From then on initial_balance, the high-water mark and the current day start shift by the amount; allowances stay, so usage is unchanged. Bounded (422 outside): a withdrawal may not exceed the last known balance; a deposit above the account's initial_balance needs an admin. Every adjustment raises `account.adjusted`.",
  request: {
    params: IdParamSchema,
    body: { content: { "application/json": { schema: CreateAdjustmentSchema } }, required: true },
  },
  errors: [400, 404, 409, 415, 422],
  responses: {
    201: {
      description: "The adjustment",
      content: { "application/json": { schema: AdjustmentSchema } },
    },
  },
});

const list = apiRoute({
  method: "get",
  path: "/{id}/adjustments",
  role: "viewer",
  tags,
  summary: "List an account's balance adjustments, newest first",
  request: { params: IdParamSchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "Every adjustment of the account",
      content: { "application/json": { schema: AdjustmentListSchema } },
    },
  },
});

/** Adjustments listed per request; an account has few. */
const LIST_LIMIT = 1000;

export const adjustmentsApi = newApi()
  .openapi(create, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { actor, role } = c.var.principal;
    await changeableAccountOr409(c.var.db, id);
    const recorded = await recordAdjustment(c.var.db, id, body.amount, body.note ?? null, {
      actor,
      admin: role === "admin",
      reason: body.reason ?? null,
    });
    if (recorded.kind === "not_found") throw notFound("account", id);
    if (recorded.kind === "refused")
      throw unprocessable(recorded.refusal.message, [
        { path: "amount", message: recorded.refusal.message },
      ]);
    await sendAlerts(recorded.alerted);
    if (recorded.account.monitoringState === "live") {
      // A live account's monitor learns of it at once; if it cannot be reached, the account
      // takes it when it is next read by the poller (pending adjustments apply by id, once).
      const adjustment = { id: Number(recorded.adjustment.id), amount: recorded.adjustment.amount };
      // Its shard; during a move to another shard, the one recorded as watching it too.
      const recordedShard = recorded.account.monitorShard ?? 0;
      await monitorFor(c.env, id)
        .adjust(id, adjustment)
        .then((held) => (held ? held : monitorOfShard(c.env, recordedShard).adjust(id, adjustment)))
        .catch((err: unknown) => log("monitor:adjust_failed", { account_id: id }, err));
    }
    return c.json(presentAdjustment(recorded.adjustment), 201);
  })
  .openapi(list, async (c) => {
    const { id } = c.req.valid("param");
    const rows = await listAdjustments(c.var.db, id, LIST_LIMIT);
    if (rows.length === 0 && !(await accountExists(c.var.db, id))) {
      throw notFound("account", id);
    }
    return c.json({ items: rows.map(presentAdjustment) }, 200);
  });
