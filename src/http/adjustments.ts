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
import { conflict, notFound, unprocessable } from "./errors.ts";
import {
  confirmProposal,
  dismissProposal,
  listProposals,
  presentProposal,
  type DecidedProposal,
} from "../accounts/adjustment-proposals.ts";
import { PROPOSAL_STATES, type AccountRow, type AccountAdjustmentRow } from "../db/schema.ts";
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

const ProposalSchema = z
  .object({
    id: z.number().int(),
    account_id: z.number().int(),
    ticket: z.number().int(),
    at: z.iso
      .datetime({ offset: true })
      .openapi({ description: "When the broker booked it (UTC)." }),
    order_type: z.string().openapi({ example: "Balance" }),
    amount: z
      .number()
      .openapi({ description: "Account currency: > 0 deposit or credit, < 0 withdrawal." }),
    state: z.enum(PROPOSAL_STATES),
    adjustment_id: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The adjustment recorded when confirmed." }),
    decided_by: z.string().nullable(),
    decided_at: z.iso.datetime({ offset: true }).nullable(),
    created_at: z.iso.datetime({ offset: true }),
  })
  .openapi("AdjustmentProposal");

const ProposalListSchema = z
  .object({ items: z.array(ProposalSchema) })
  .openapi("AdjustmentProposalList");

const ProposalParamSchema = IdParamSchema.extend({
  proposal_id: z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name: "proposal_id", in: "path" }, example: 7 }),
});

const ProposalQuerySchema = z.object({
  state: z
    .enum(PROPOSAL_STATES)
    .optional()
    .openapi({ param: { name: "state", in: "query" } }),
});

const reasonField = z
  .string()
  .min(1)
  .max(500)
  .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" })
  .optional();

const ConfirmProposalSchema = z
  .strictObject({
    note: z
      .string()
      .trim()
      .min(1, { error: "must not be empty" })
      .max(500)
      .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" })
      .optional()
      .openapi({
        description: "The adjustment's note; by default the operation's type, ticket and time.",
      }),
    reason: reasonField.openapi({ description: "Why (audit)." }),
  })
  .openapi("ConfirmAdjustmentProposal");

const DismissProposalSchema = z
  .strictObject({ reason: reasonField.openapi({ description: "Why (audit)." }) })
  .openapi("DismissAdjustmentProposal");

const ConfirmedProposalSchema = z
  .object({ proposal: ProposalSchema, adjustment: AdjustmentSchema })
  .openapi("ConfirmedAdjustmentProposal");

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

const proposedList = apiRoute({
  method: "get",
  path: "/{id}/adjustments/proposed",
  role: "viewer",
  tags,
  summary: "List the balance operations offered as adjustments, newest first",
  description:
    "Deposits, withdrawals and credits read from the account's order history (booked after the account was added) are offered here once each; none moves the figures until an operator confirms it. `state=` filters.",
  request: { params: IdParamSchema, query: ProposalQuerySchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "The account's proposals",
      content: { "application/json": { schema: ProposalListSchema } },
    },
  },
});

const confirm = apiRoute({
  method: "post",
  path: "/{id}/adjustments/proposed/{proposal_id}/confirm",
  role: "operator",
  tags,
  summary: "Confirm a proposed adjustment: record it as an adjustment",
  description:
    "Records the operation's amount through the bounded adjustment path (as POST /adjustments: 422 out of bounds, the proposal stays proposed) and marks the proposal confirmed, in one transaction. 409 when it was already confirmed or dismissed.",
  request: {
    params: ProposalParamSchema,
    body: { content: { "application/json": { schema: ConfirmProposalSchema } }, required: false },
  },
  errors: [400, 404, 409, 415, 422],
  responses: {
    201: {
      description: "The proposal and the adjustment recorded",
      content: { "application/json": { schema: ConfirmedProposalSchema } },
    },
  },
});

const dismiss = apiRoute({
  method: "post",
  path: "/{id}/adjustments/proposed/{proposal_id}/dismiss",
  role: "operator",
  tags,
  summary: "Dismiss a proposed adjustment (kept, audited, never applied)",
  description: "409 when it was already confirmed or dismissed.",
  request: {
    params: ProposalParamSchema,
    body: { content: { "application/json": { schema: DismissProposalSchema } }, required: false },
  },
  errors: [400, 404, 409, 415],
  responses: {
    200: {
      description: "The proposal",
      content: { "application/json": { schema: ProposalSchema } },
    },
  },
});

/** Throws the 404 / 409 an undecidable proposal stands for. */
function decidedOr(result: DecidedProposal, id: number, proposalId: number): void {
  if (result.kind === "not_found") throw notFound("adjustment proposal", `${id}/${proposalId}`);
  if (result.kind === "decided")
    throw conflict(`adjustment proposal ${proposalId} is already ${result.proposal.state}`, {
      state: result.proposal.state,
    });
}

/** Tells a live account's monitor of a new adjustment at once (see POST /adjustments). */
async function tellMonitor(
  env: Env,
  id: number,
  account: AccountRow,
  row: AccountAdjustmentRow,
): Promise<void> {
  if (account.monitoringState !== "live") return;
  // A live account's monitor learns of it at once; if it cannot be reached, the account
  // takes it when it is next read by the poller (pending adjustments apply by id, once).
  const adjustment = { id: Number(row.id), amount: row.amount };
  // Its shard; during a move to another shard, the one recorded as watching it too.
  const recordedShard = account.monitorShard ?? 0;
  await monitorFor(env, id)
    .adjust(id, adjustment)
    .then((held) => (held ? held : monitorOfShard(env, recordedShard).adjust(id, adjustment)))
    .catch((err: unknown) => log("monitor:adjust_failed", { account_id: id }, err));
}

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
    await tellMonitor(c.env, id, recorded.account, recorded.adjustment);
    return c.json(presentAdjustment(recorded.adjustment), 201);
  })
  .openapi(list, async (c) => {
    const { id } = c.req.valid("param");
    const rows = await listAdjustments(c.var.db, id, LIST_LIMIT);
    if (rows.length === 0 && !(await accountExists(c.var.db, id))) {
      throw notFound("account", id);
    }
    return c.json({ items: rows.map(presentAdjustment) }, 200);
  })
  .openapi(proposedList, async (c) => {
    const { id } = c.req.valid("param");
    const { state } = c.req.valid("query");
    const rows = await listProposals(c.var.db, id, state, LIST_LIMIT);
    if (rows.length === 0 && !(await accountExists(c.var.db, id))) {
      throw notFound("account", id);
    }
    return c.json({ items: rows.map(presentProposal) }, 200);
  })
  .openapi(confirm, async (c) => {
    const { id, proposal_id } = c.req.valid("param");
    const body = (c.req.valid("json") as z.infer<typeof ConfirmProposalSchema> | undefined) ?? {};
    const { actor, role } = c.var.principal;
    const result = await confirmProposal(c.var.db, id, proposal_id, {
      actor,
      admin: role === "admin",
      note: body.note ?? null,
      reason: body.reason ?? null,
    });
    decidedOr(result, id, proposal_id);
    if (result.kind === "refused")
      throw unprocessable(result.refusal.message, [
        { path: "amount", message: result.refusal.message },
      ]);
    if (result.kind !== "confirmed") throw notFound("adjustment proposal", `${id}/${proposal_id}`);
    await sendAlerts(result.alerted);
    await tellMonitor(c.env, id, result.account, result.adjustment);
    return c.json(
      {
        proposal: presentProposal(result.proposal),
        adjustment: presentAdjustment(result.adjustment),
      },
      201,
    );
  })
  .openapi(dismiss, async (c) => {
    const { id, proposal_id } = c.req.valid("param");
    const body = (c.req.valid("json") as z.infer<typeof DismissProposalSchema> | undefined) ?? {};
    const result = await dismissProposal(c.var.db, id, proposal_id, {
      actor: c.var.principal.actor,
      reason: body.reason ?? null,
    });
    decidedOr(result, id, proposal_id);
    if (result.kind !== "dismissed") throw notFound("adjustment proposal", `${id}/${proposal_id}`);
    return c.json(presentProposal(result.proposal), 200);
  });
