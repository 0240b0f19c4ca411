/**
 * `GET /v1/violations`: every recorded rule breach, newest first (docs/api.md, "Violations");
 * `GET /v1/violations/{id}`: one, with the evidence kept at breach time ("Breach evidence").
 */
import { presentViolation } from "./present.ts";
import { apiRoute } from "./routes.ts";
import { findViolation, listViolations } from "../accounts/queries.ts";
import { newApi } from "./api-env.ts";
import { ViolationDetailSchema } from "./desk-schemas.ts";
import { notFound } from "./errors.ts";
import { decodeCursor, pageOf } from "./pagination.ts";
import { IdParamSchema, ListViolationsQuerySchema, ViolationListSchema } from "./schemas.ts";

const list = apiRoute({
  method: "get",
  path: "/",
  role: "viewer",
  tags: ["violations"],
  summary: "List violations, newest first",
  request: { query: ListViolationsQuerySchema },
  errors: [400],
  responses: {
    200: {
      description: "A page of violations",
      content: { "application/json": { schema: ViolationListSchema } },
    },
  },
});

const get = apiRoute({
  method: "get",
  path: "/{id}",
  role: "viewer",
  tags: ["violations"],
  summary: "One violation with its evidence",
  description:
    "The evidence is what was known at breach time: the rules version in force and its rules, the figures, up to 20 readings before, and the MTAPI answer or Events message that caused it (session tokens masked).",
  request: { params: IdParamSchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "The violation and its evidence",
      content: { "application/json": { schema: ViolationDetailSchema } },
    },
  },
});

export const violationsApi = newApi()
  .openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findViolation(c.var.db, id);
    if (!row) throw notFound("violation", id);
    return c.json({ ...presentViolation(row), evidence: row.evidence ?? null }, 200);
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const rows = await listViolations(c.var.db, {
      accountId: q.account_id,
      since: q.since,
      beforeId: decodeCursor("violations", q.cursor),
      limit: q.limit,
    });
    const page = pageOf("violations", rows, q.limit);
    return c.json({ items: page.items.map(presentViolation), next_cursor: page.nextCursor }, 200);
  });
