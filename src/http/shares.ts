/**
 * `/v1/accounts/{id}/shares` (docs/trader-page.md, "Share links"): make a link to the trader
 * page of one account (operator; the token is in the answer's `url` this once and stored only
 * as its SHA-256), list an account's links (no tokens), revoke one (operator; its next request
 * is a 404). Making and revoking are audited (`share.created`, `share.revoked`).
 */
import { apiRoute } from "./routes.ts";
import { createShare, listShares, presentShare, revokeShare } from "../accounts/shares.ts";
import { accountOr404, changeableAccountOr409 } from "./accounts.ts";
import { newApi } from "./api-env.ts";
import { notFound } from "./errors.ts";
import {
  CreateShareSchema,
  ShareCreatedSchema,
  ShareListSchema,
  ShareParamSchema,
} from "./report-schemas.ts";
import { IdParamSchema, ReasonQuerySchema } from "./schemas.ts";
import { generateShareToken, hashShareToken } from "./share-token.ts";

const tags = ["accounts"];
const json = <T>(schema: T) => ({ "application/json": { schema } });
const DAY_MS = 86_400_000;

const create = apiRoute({
  method: "post",
  path: "/{id}/shares",
  role: "operator",
  tags,
  summary: "Make a share link to the account's trader page",
  description:
    "The answer's `url` holds the link's token: it is shown this once and stored only as a hash. The link works until `expires_at` (at most 90 days) or until revoked.",
  request: {
    params: IdParamSchema,
    body: { content: json(CreateShareSchema), required: true },
  },
  errors: [400, 404, 409, 415],
  responses: {
    201: { description: "The link, with its token", content: json(ShareCreatedSchema) },
  },
});

const list = apiRoute({
  method: "get",
  path: "/{id}/shares",
  role: "viewer",
  tags,
  summary: "The account's share links, newest first (no tokens)",
  request: { params: IdParamSchema },
  errors: [400, 404],
  responses: {
    200: { description: "The links", content: json(ShareListSchema) },
  },
});

const revoke = apiRoute({
  method: "delete",
  path: "/{id}/shares/{share_id}",
  role: "operator",
  tags,
  summary: "Revoke a share link: its next request is a 404",
  description: "Revoking a revoked link again answers 204 and changes nothing.",
  request: { params: ShareParamSchema, query: ReasonQuerySchema },
  errors: [400, 404],
  responses: { 204: { description: "Revoked" } },
});

export const sharesApi = newApi()
  .openapi(create, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await changeableAccountOr409(c.var.db, id);
    const token = generateShareToken();
    const expiresAt = new Date(Date.now() + body.expires_in_days * DAY_MS);
    const row = await createShare(
      c.var.db,
      { accountId: id, tokenHash: await hashShareToken(token), expiresAt },
      { actor: c.var.principal.actor, reason: body.reason },
    );
    const url = `${new URL(c.req.url).origin}/t/${token}`;
    c.header("cache-control", "no-store");
    return c.json({ id: row.id, url, expires_at: row.expiresAt.toISOString() }, 201);
  })
  .openapi(list, async (c) => {
    const { id } = c.req.valid("param");
    await accountOr404(c.var.db, id);
    const now = Date.now();
    const rows = await listShares(c.var.db, id);
    return c.json({ items: rows.map((r) => presentShare(r, now)) }, 200);
  })
  .openapi(revoke, async (c) => {
    const { id, share_id } = c.req.valid("param");
    const { reason } = c.req.valid("query");
    const result = await revokeShare(c.var.db, id, share_id, {
      actor: c.var.principal.actor,
      reason,
    });
    if (result === "not_found") {
      throw notFound("share link", share_id, [
        { path: "share_id", message: `account ${id} has no share link ${share_id}` },
      ]);
    }
    return c.body(null, 204);
  });
