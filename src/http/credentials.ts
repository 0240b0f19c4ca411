/**
 * Credentials and sessions of one account (docs/mtapi-bridge.md, "Credentials" and
 * "Sessions"): `PUT`/`DELETE /v1/accounts/{id}/credentials` (admin) store or remove the
 * password the system logs in with, sealed at rest and never shown; `PUT
 * /v1/accounts/{id}/session` (operator) takes a pasted token only after MTAPI confirms it
 * (`CheckConnect`, then a synced `AccountSummary`), and a live account is subscribed under
 * the new token before the old one is released.
 */
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import { markProblems } from "../accounts/write-changes.ts";
import { removeCredentials, sealKeysOf, setCredentials } from "../accounts/credentials.ts";
import { updateAccount } from "../accounts/queries.ts";
import { subscribeLive, toSubscribeInput } from "../live/client/handoff.ts";
import { checkConnect } from "../mtapi/session.ts";
import { fetchAccountSummary, guardSummary } from "../mtapi/account-summary.ts";
import { CREDENTIAL_KINDS } from "../domain/vocabulary.ts";
import { newApi } from "./api-env.ts";
import type { SealKeys } from "../secrets/seal.ts";
import { AppError, found, sessionConflictOr } from "./errors.ts";
import { presentAccount } from "./present.ts";
import { changeableAccountOr409 } from "./accounts.ts";
import { AccountSchema, IdParamSchema, ReasonQuerySchema, reasonField } from "./schemas.ts";

const tags = ["accounts"];
const json = <T>(schema: T) => ({ "application/json": { schema } });

/** The password as given: URL-encoded by the client when sent to MTAPI, never shown. */
export const CredentialsInputSchema = z
  .strictObject({
    password: z.string().min(1).max(256).openapi({ description: "Secret; never returned." }),
    kind: z.enum(CREDENTIAL_KINDS).default("investor").openapi({
      description: "`investor` (read-only, enough to watch) or `master` (trading).",
    }),
  })
  .openapi("CredentialsInput");

const PutCredentialsSchema = CredentialsInputSchema.extend({ reason: reasonField() });
const PutSessionSchema = z
  .strictObject({
    session_id: z
      .string()
      .min(1)
      .max(256)
      .openapi({ description: "The new MTAPI token (secret)." }),
    reason: reasonField(),
  })
  .openapi("PutSession");

/** 503 when no key is configured to seal credentials with. */
export function misconfigured(
  message = "SECRETS_KEY is not set: credentials cannot be stored",
): AppError {
  return new AppError(503, "misconfigured", message);
}

/**
 * The keys session tokens are sealed with (docs/security.md, "Secrets at rest"): null without
 * `SECRETS_KEY` (tokens then stay in clear, as before sealing); a key that is set but
 * unusable answers 503 rather than store a token in clear.
 */
export async function sessionKeysOr503(env: {
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}): Promise<SealKeys | null> {
  const keys = await sealKeysOf(env);
  if (env.SECRETS_KEY && !keys?.current)
    throw misconfigured("SECRETS_KEY is not usable: session tokens cannot be stored");
  return keys;
}

/** 422 with the one field that was refused. */
export function refused(path: string, message: string): AppError {
  return new AppError(422, "validation_failed", message, [{ path, message }]);
}

const putCredentials = apiRoute({
  method: "put",
  path: "/{id}/credentials",
  role: "admin",
  tags,
  summary: "Set or replace the password the system logs in with (sealed; never returned)",
  request: { params: IdParamSchema, body: { content: json(PutCredentialsSchema), required: true } },
  errors: [400, 404, 409, 415],
  responses: {
    200: { description: "The account", content: json(AccountSchema) },
  },
});

const deleteCredentials = apiRoute({
  method: "delete",
  path: "/{id}/credentials",
  role: "admin",
  tags,
  summary: "Remove the stored credentials",
  request: { params: IdParamSchema, query: ReasonQuerySchema },
  errors: [400, 404],
  responses: {
    200: { description: "The account", content: json(AccountSchema) },
  },
});

const putSession = apiRoute({
  method: "put",
  path: "/{id}/session",
  role: "operator",
  tags,
  summary: "Replace the session token after MTAPI confirms it",
  description:
    "CheckConnect, then a synced AccountSummary under the new token; 422 when either fails. A live account is subscribed under the new token before the old one is released.",
  request: { params: IdParamSchema, body: { content: json(PutSessionSchema), required: true } },
  errors: [400, 404, 409, 415, 422],
  responses: {
    200: { description: "The account", content: json(AccountSchema) },
  },
});

/** The per-call deadline of the checks (ms). */
const CHECK_TIMEOUT_MS = 10_000;

export const credentialsApi = newApi()
  .openapi(putCredentials, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const keys = await sealKeysOf(c.env);
    if (!keys?.current) throw misconfigured();
    await changeableAccountOr409(c.var.db, id);
    const row = await setCredentials(
      c.var.db,
      keys,
      id,
      { password: body.password, kind: body.kind },
      { actor: c.var.principal.actor, reason: body.reason },
    );
    return c.json(presentAccount(found(row, "account", id)), 200);
  })
  .openapi(deleteCredentials, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("query");
    const row = await removeCredentials(c.var.db, id, { actor: c.var.principal.actor, reason });
    return c.json(presentAccount(found(row, "account", id)), 200);
  })
  .openapi(putSession, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const before = await changeableAccountOr409(c.var.db, id);
    const token = body.session_id.trim();
    const check = await checkConnect(c.env.MTAPI_URL, token, CHECK_TIMEOUT_MS);
    if (!check.ok) throw refused("session_id", `CheckConnect refused the token (${check.problem})`);
    const read = guardSummary(
      await fetchAccountSummary(c.env.MTAPI_URL, token, CHECK_TIMEOUT_MS),
      before.riskState?.balance,
    );
    if (!read.ok) throw refused("session_id", `AccountSummary under the token: ${read.problem}`);
    const updated = await updateAccount(
      c.var.db,
      id,
      { session: { token, keys: await sessionKeysOr503(c.env) } },
      { actor: c.var.principal.actor, reason: body.reason },
    ).catch((err: unknown) => {
      throw sessionConflictOr(err);
    });
    const row = found(updated, "account", id);
    // The account is readable again: its session problem clears (and alerts once).
    await markProblems(c.var.db, [{ accountId: id, problem: null }]);
    // The monitor subscribes the new token before it releases the old one (holdings.ts).
    if (row.status === "active" && row.monitoringState === "live")
      await subscribeLive(c.env, [toSubscribeInput(row)]);
    return c.json(presentAccount({ ...row, problem: null, problemSince: null }), 200);
  });
