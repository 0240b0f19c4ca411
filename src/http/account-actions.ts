/**
 * Operator actions on one account (docs/api.md, "Accounts"): reset a breached account, and
 * force it into or out of live monitoring. Postgres is the record of which accounts are live,
 * so each action writes the new state first (audited, `state_version` bumped) and then tells
 * the monitor; if the monitor cannot be told, the cron's reconciliation repairs it within a
 * minute (src/live/client/handoff.ts).
 */
import { presentAccount } from "./present.ts";
import { apiRoute } from "./routes.ts";
import { changeAccountState, type StateChangeResult } from "../accounts/state-change.ts";
import type { AccountRow } from "../db/schema.ts";
import { subscribeLive, toSubscribeInput, unsubscribeLive } from "../live/client/handoff.ts";
import { newApi } from "./api-env.ts";
import { conflict, notFound, sessionConflictOr } from "./errors.ts";
import { AccountSchema, IdParamSchema, ReasonBodySchema, ReasonQuerySchema } from "./schemas.ts";

const tags = ["accounts"];
/** An optional JSON body `{"reason": "..."}`; no body at all is fine. */
const reasonBody = {
  content: { "application/json": { schema: ReasonBodySchema } },
  required: false,
};

const answer = {
  200: { description: "The account", content: { "application/json": { schema: AccountSchema } } },
};
/** The errors every action may answer. */
const errors = [400, 404, 409] as const;

/** The changed row, or the 404 / 409 the result stands for. */
function doneOr(result: StateChangeResult, id: number, refusal: (row: AccountRow) => string) {
  if (result.kind === "not_found") throw notFound("account", id);
  if (result.kind === "refused") {
    throw conflict(refusal(result.row), { status: result.row.status });
  }
  return result;
}

const reset = apiRoute({
  method: "post",
  path: "/{id}/reset",
  role: "operator",
  tags,
  summary: "Bring a breached account back to active / polling",
  description:
    "The violations stay on record; the rules evaluate afresh from the next reading. 409 unless the account is breached.",
  request: { params: IdParamSchema, body: reasonBody },
  errors,
  responses: answer,
});

const goLive = apiRoute({
  method: "post",
  path: "/{id}/live",
  role: "operator",
  tags,
  summary: "Force an account into live monitoring",
  description: "409 unless the account is active.",
  request: { params: IdParamSchema, body: reasonBody },
  errors,
  responses: answer,
});

const goPolling = apiRoute({
  method: "delete",
  path: "/{id}/live",
  role: "operator",
  tags,
  summary: "Force an account out of live monitoring, back to polling",
  request: { params: IdParamSchema, query: ReasonQuerySchema },
  errors,
  responses: answer,
});

export const accountActionsApi = newApi()
  .openapi(reset, async (c) => {
    const { id } = c.req.valid("param");
    const result = doneOr(
      await changeAccountState(
        c.var.db,
        id,
        { status: "active", monitoringState: "polling", clearBreaches: true },
        {
          action: "account.reset",
          by: { actor: c.var.principal.actor, reason: c.req.valid("json").reason },
          source: "api",
          precondition: (row) => row.status === "breached",
        },
      ).catch((err: unknown) => {
        throw sessionConflictOr(err);
      }),
      id,
      (row) => `account ${id} is ${row.status}, not breached: nothing to reset`,
    );
    if (result.before.monitoringState === "live") await unsubscribeLive(c.env, [id], "reset");
    return c.json(presentAccount(result.after), 200);
  })
  .openapi(goLive, async (c) => {
    const { id } = c.req.valid("param");
    const result = doneOr(
      await changeAccountState(
        c.var.db,
        id,
        { monitoringState: "live" },
        {
          action: "account.live_forced",
          by: { actor: c.var.principal.actor, reason: c.req.valid("json").reason },
          source: "api",
          precondition: (r) => r.status === "active",
        },
      ),
      id,
      (row) => `account ${id} is ${row.status}: only an active account can go live`,
    );
    // Also when it was live already: subscribing again is harmless and repairs a lost one.
    await subscribeLive(c.env, [toSubscribeInput(result.after)]);
    return c.json(presentAccount(result.after), 200);
  })
  .openapi(goPolling, async (c) => {
    const { id } = c.req.valid("param");
    const result = doneOr(
      await changeAccountState(
        c.var.db,
        id,
        { monitoringState: "polling" },
        {
          action: "account.live_released",
          by: { actor: c.var.principal.actor, reason: c.req.valid("query").reason },
          source: "api",
        },
      ),
      id,
      () => "unreachable",
    );
    await unsubscribeLive(c.env, [id], "api");
    return c.json(presentAccount(result.after), 200);
  });
