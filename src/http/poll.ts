/**
 * `POST /v1/poll` (docs/api.md, "Monitor and poller"): poll given accounts now, as the cron
 * would, and answer with the report; or, without a body, send a full sweep to the poll queue
 * and answer `202` at once.
 */
import { brokerClockOf } from "../poll/trades.ts";
import { sealKeysOf } from "../accounts/credentials.ts";
import { streamsAll } from "../live/client/stream-all.ts";
import { apiRoute } from "./routes.ts";
import type { MiddlewareHandler } from "hono";
import { subscribeEntered } from "../live/client/handoff.ts";
import { accountAudit } from "../db/schema.ts";
import { auditValues } from "../domain/audit.ts";
import { log } from "../util/log.ts";
import { pollAccounts } from "../poll/poll-accounts.ts";
import { countPollable, selectPollable } from "../poll/pollable.ts";
import type { PollQueueMessage } from "../poll/dispatch.ts";
import { dispatchSweep } from "../poll/sweep.ts";
import { newApi } from "./api-env.ts";
import { PollBodySchema, PollReportSchema, SweepStartedSchema } from "./monitor-schemas.ts";
import { runCreated } from "../enforce/run.ts";

/**
 * "Without a body" includes an empty body sent with `Content-Type: application/json`
 * (`curl -X POST -H 'content-type: application/json'`), which the JSON validator would
 * otherwise reject as malformed.
 */
const emptyBodyIsNoBody: MiddlewareHandler = async (c, next) => {
  if (c.req.header("content-type") !== undefined && (await c.req.text()).trim() === "") {
    // HonoRequest.json() parses the cached text: an empty body now reads as `{}`.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve("{}");
  }
  await next();
};

const poll = apiRoute({
  method: "post",
  path: "/",
  role: "operator",
  tags: ["poller"],
  summary: "Poll accounts now; without a body, start a full sweep",
  description:
    "With account_ids: polls those of them that are active and polling, answers with the report. Without a body (or `{}`): starts the cron's full sweep and answers 202 with the number of pollable accounts.",
  middleware: [emptyBodyIsNoBody] as const,
  request: { body: { content: { "application/json": { schema: PollBodySchema } } } },
  errors: [400, 415],
  responses: {
    200: {
      description: "The poll report",
      content: { "application/json": { schema: PollReportSchema } },
    },
    202: {
      description: "Sweep started",
      content: { "application/json": { schema: SweepStartedSchema } },
    },
  },
});

export const pollApi = newApi().openapi(poll, async (c) => {
  const { account_ids: ids, reason } = c.req.valid("json");
  const db = c.var.db;
  // Audited: who asked for which poll (docs/security.md).
  await db.insert(accountAudit).values(
    auditValues({
      action: "poll.requested",
      actor: c.var.principal.actor,
      accountId: null,
      reason: reason ?? null,
      source: "api",
      after: ids === undefined ? { full_sweep: true } : { account_ids: ids },
    }),
  );
  if (ids === undefined) {
    const accounts = await countPollable(db);
    // The cron's own sweep, run by the poll queue's consumer (its own invocation and limits,
    // retried if it fails), not inside this request's waitUntil. Without a queue: here.
    const queue = c.env.POLL_QUEUE as Queue<PollQueueMessage> | undefined;
    if (queue) {
      await queue.send({ full_sweep: true, requested_at: Date.now() });
    } else {
      c.executionCtx.waitUntil(
        dispatchSweep(c.env).catch((err: unknown) =>
          log("poll:sweep_failed", { trigger: "api" }, err),
        ),
      );
    }
    return c.json({ accounts }, 202);
  }
  const rows = await selectPollable(db, { ids }, ids.length);
  const report = await pollAccounts(db, rows, {
    mtapiUrl: c.env.MTAPI_URL,
    streamAll: streamsAll(c.env),
    onEnterLive: subscribeEntered(c.env),
    brokerClock: brokerClockOf(c.env),
    sealKeys: await sealKeysOf(c.env),
    enforcement: c.env.ENFORCEMENT,
    onActions: runCreated(db, c.env),
  });
  return c.json(report, 200);
});
