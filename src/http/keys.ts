/**
 * `/v1/keys` (docs/api.md, "API keys and roles"): create a named key with a role (the secret
 * is answered once), list keys without secrets, revoke one. Admin only (declared with each route).
 */
import { newApi } from "./api-env.ts";
import { apiRoute } from "./routes.ts";
import { CreateKeySchema, KeyCreatedSchema, KeyListSchema } from "./desk-schemas.ts";
import { conflict, notFound } from "./errors.ts";
import { createKey, isKeyNameTaken, listKeys, presentKey, revokeKey } from "./key-store.ts";
import { IdParamSchema, ReasonQuerySchema } from "./schemas.ts";

const tags = ["keys"];
const json = <T>(schema: T) => ({ "application/json": { schema } });

const create = apiRoute({
  method: "post",
  path: "/",
  role: "admin",
  tags,
  summary: "Create an API key",
  description:
    "The answer holds the secret `key`: it is shown this once and stored only as a hash.",
  request: { body: { content: json(CreateKeySchema), required: true } },
  errors: [400, 409, 415],
  responses: {
    201: { description: "The new key, with its secret", content: json(KeyCreatedSchema) },
  },
});

const list = apiRoute({
  method: "get",
  path: "/",
  role: "admin",
  tags,
  summary: "List live API keys (no secrets)",
  errors: null,
  responses: { 200: { description: "The keys", content: json(KeyListSchema) } },
});

const revoke = apiRoute({
  method: "delete",
  path: "/{id}",
  role: "admin",
  tags,
  summary: "Revoke an API key: it gets 401 from the next request on",
  description:
    "Revoking a revoked key again answers 204 and changes nothing. While ADMIN_TOKEN is unset, the last live admin key cannot be revoked (409).",
  request: { params: IdParamSchema, query: ReasonQuerySchema },
  errors: [400, 404, 409],
  responses: { 204: { description: "Revoked" } },
});

export const keysApi = newApi()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    try {
      const { row, key } = await createKey(
        c.var.db,
        { name: body.name, role: body.role },
        { actor: c.var.principal.actor, reason: body.reason },
      );
      const { last_used_at: _unused, ...shown } = presentKey(row);
      return c.json({ ...shown, key }, 201);
    } catch (err) {
      if (!isKeyNameTaken(err)) throw err;
      throw conflict(`a live key named ${body.name} exists already`, [
        { path: "name", message: "in use by a live key" },
      ]);
    }
  })
  .openapi(list, async (c) => {
    const rows = await listKeys(c.var.db);
    return c.json({ items: rows.map(presentKey) }, 200);
  })
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("query");
    const result = await revokeKey(
      c.var.db,
      id,
      { actor: c.var.principal.actor, reason },
      { adminTokenSet: Boolean(c.env.ADMIN_TOKEN) },
    );
    if (result === "not_found") {
      throw notFound("key", id, [{ path: "id", message: `no key has id ${id}` }]);
    }
    if (result === "last_admin")
      throw conflict(
        "the last admin key cannot be revoked while ADMIN_TOKEN is unset: create another admin key first",
      );
    return c.body(null, 204);
  });
