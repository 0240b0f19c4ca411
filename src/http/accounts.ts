/**
 * `/v1/accounts`: create, list, read, edit and disable accounts (docs/api.md, "Accounts").
 * Postgres is the record; the live monitor is only told about changes to live accounts.
 */
import { withTradeDays } from "../accounts/trades.ts";
import { listAtRisk } from "../accounts/at-risk.ts";
import { apiRoute } from "./routes.ts";
import { presentAccount } from "./present.ts";
import {
  accountConflict,
  findAccount,
  insertAccount,
  listAccounts,
  updateAccount,
} from "../accounts/queries.ts";
import { archiveAccount } from "../accounts/archive.ts";
import type { Db } from "../db/client.ts";
import type { AccountRow } from "../db/schema.ts";
import { subscribeLive, toSubscribeInput, unsubscribeLive } from "../live/client/handoff.ts";
import { newApi } from "./api-env.ts";
import { badRequest, conflict, found, notFound, sessionConflictOr } from "./errors.ts";
import { setCredentials } from "../accounts/credentials.ts";
import { connectEx } from "../mtapi/session.ts";
import { misconfigured, refused, sessionKeysOr503 } from "./credentials.ts";
import { decodeCursor, pageOf } from "./pagination.ts";
import {
  AccountListSchema,
  AccountSchema,
  CreateAccountSchema,
  IdParamSchema,
  ListAccountsQuerySchema,
  PatchAccountSchema,
  ReasonQuerySchema,
} from "./schemas.ts";
import { decodeUsageCursor, encodeUsageCursor } from "./usage-cursor.ts";
import { resolveRulesOrThrow } from "./validation.ts";

const tags = ["accounts"];
const json = <T>(schema: T) => ({ "application/json": { schema } });

/** The account with `id`, or a 404. */
export async function accountOr404(db: Db, id: number): Promise<AccountRow> {
  return found(await findAccount(db, id), "account", id);
}

/**
 * The account with `id` for a change, or a 404, or a 409 when it is deleted: an archived
 * account is history, read by its id but never edited, given secrets or watched again
 * (docs/api.md, "Deleting an account").
 */
export async function changeableAccountOr409(db: Db, id: number): Promise<AccountRow> {
  const row = await accountOr404(db, id);
  if (row.status === "deleted")
    throw conflict(`account ${id} is deleted: its history stays readable, it cannot be changed`, {
      status: row.status,
    });
  return row;
}

const create = apiRoute({
  method: "post",
  path: "/",
  role: "admin",
  tags,
  summary: "Create an account",
  request: { body: { content: json(CreateAccountSchema), required: true } },
  errors: [400, 409, 415, 422],
  responses: {
    201: { description: "The new account", content: json(AccountSchema) },
  },
});

const list = apiRoute({
  method: "get",
  path: "/",
  role: "viewer",
  tags,
  summary: "List accounts, newest first (or by usage, highest first)",
  request: { query: ListAccountsQuerySchema },
  errors: [400],
  responses: {
    200: { description: "A page of accounts", content: json(AccountListSchema) },
  },
});

const get = apiRoute({
  method: "get",
  path: "/{id}",
  role: "viewer",
  tags,
  summary: "Read an account",
  request: { params: IdParamSchema },
  errors: [400, 404],
  responses: {
    200: { description: "The account", content: json(AccountSchema) },
  },
});

const patch = apiRoute({
  method: "patch",
  path: "/{id}",
  role: "admin",
  tags,
  summary: "Change an account's label, session_id or rules",
  request: { params: IdParamSchema, body: { content: json(PatchAccountSchema), required: true } },
  errors: [400, 404, 409, 415, 422],
  responses: {
    200: { description: "The account", content: json(AccountSchema) },
  },
});

const remove = apiRoute({
  method: "delete",
  path: "/{id}",
  role: "admin",
  tags,
  summary:
    "Delete (archive) an account: stop watching it, wipe its secrets, keep its history (readable by id; listed with status=deleted)",
  request: { params: IdParamSchema, query: ReasonQuerySchema },
  errors: [400, 404],
  responses: { 204: { description: "Deleted (archived)" } },
});

export const accountsApi = newApi()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const resolved = resolveRulesOrThrow(body.rules);
    if (body.session_id === undefined && body.credentials === undefined)
      throw badRequest("session_id or credentials is required", [
        { path: "session_id", message: "required without credentials" },
      ]);
    const keys = await sessionKeysOr503(c.env);
    if (body.credentials && !keys?.current) throw misconfigured();
    // docs/mtapi-bridge.md: with credentials and no token the system logs in itself; a
    // password the broker rejects is refused here, a bridge that cannot be reached now leaves
    // a placeholder token that the poller renews (ConnectEx) with its backoff.
    let sessionId = body.session_id;
    let loggedIn = false;
    if (sessionId === undefined && body.credentials) {
      const login = await connectEx(
        c.env.MTAPI_URL,
        { user: body.login, password: body.credentials.password, server: body.server },
        10_000,
      );
      if (!login.ok && login.problem === "credentials_rejected")
        throw refused("credentials.password", "the broker rejected the login (INVALID_ACCOUNT)");
      loggedIn = login.ok;
      sessionId = login.ok ? login.token : `pending-${crypto.randomUUID()}`;
    }
    try {
      let row = await insertAccount(
        c.var.db,
        keys,
        {
          login: body.login,
          server: body.server,
          sessionToken: sessionId!,
          label: body.label ?? null,
          preset: resolved.preset,
          rules: resolved.rules,
        },
        { actor: c.var.principal.actor, reason: body.reason },
      );
      if (body.credentials && keys) {
        row =
          (await setCredentials(
            c.var.db,
            keys,
            row.id,
            body.credentials,
            { actor: c.var.principal.actor, reason: body.reason },
            loggedIn ? new Date() : null,
          )) ?? row;
      }
      return c.json(presentAccount(row), 201);
    } catch (err) {
      if (accountConflict(err) === "login_server") {
        throw conflict(`an account with login ${body.login} on ${body.server} exists already`);
      }
      throw sessionConflictOr(err);
    }
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    if (q.sort === "usage_desc") {
      const rows = await listAtRisk(c.var.db, {
        status: q.status,
        monitoringState: q.monitoring_state,
        preset: q.preset,
        q: q.q,
        after: decodeUsageCursor(q.cursor),
        limit: q.limit,
      });
      const items = rows.slice(0, q.limit);
      const last = items[items.length - 1];
      const nextCursor =
        rows.length > q.limit && last
          ? encodeUsageCursor({ usage: last.sortUsage, id: last.id })
          : null;
      const shown = await withTradeDays(c.var.db, items);
      return c.json({ items: shown.map(presentAccount), next_cursor: nextCursor }, 200);
    }
    const rows = await listAccounts(c.var.db, {
      status: q.status,
      monitoringState: q.monitoring_state,
      preset: q.preset,
      q: q.q,
      beforeId: decodeCursor("accounts", q.cursor),
      limit: q.limit,
    });
    const page = pageOf("accounts", rows, q.limit);
    const shown = await withTradeDays(c.var.db, page.items);
    return c.json({ items: shown.map(presentAccount), next_cursor: page.nextCursor }, 200);
  })
  .openapi(get, async (c) => {
    const row = await accountOr404(c.var.db, c.req.valid("param").id);
    const [shown] = await withTradeDays(c.var.db, [row]);
    return c.json(presentAccount(shown!), 200);
  })
  .openapi(patch, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await changeableAccountOr409(c.var.db, id);
    const rules = body.rules === undefined ? undefined : resolveRulesOrThrow(body.rules);
    const session =
      body.session_id === undefined
        ? undefined
        : { token: body.session_id, keys: await sessionKeysOr503(c.env) };
    const updated = await updateAccount(
      c.var.db,
      id,
      { label: body.label, session, rules },
      { actor: c.var.principal.actor, reason: body.reason },
    ).catch((err: unknown) => {
      throw sessionConflictOr(err);
    });
    const row = found(updated, "account", id);
    // The monitor holds its own copy of the rules and keys of a live account: refresh it, so
    // it judges by the new rules version from its next event on.
    const monitorSees = rules !== undefined || body.session_id !== undefined;
    if (monitorSees && row.status === "active" && row.monitoringState === "live") {
      await subscribeLive(c.env, [toSubscribeInput(row)]);
    }
    return c.json(presentAccount(row), 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("query");
    const result = await archiveAccount(c.var.db, id, { actor: c.var.principal.actor, reason });
    if (result.kind === "not_found") throw notFound("account", id);
    // The live monitor lets it go now; should this call fail, the next reconcile does it (the
    // row says polling, and a deleted account is never subscribed again).
    if (result.before.monitoringState === "live") {
      await unsubscribeLive(c.env, [id], "deleted");
    }
    return c.body(null, 204);
  });
