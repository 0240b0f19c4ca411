/** `GET /v1/violations`: every recorded rule breach, newest first (admin-api.md, "Violations"). */
import { createRoute } from "@hono/zod-openapi";
import { presentViolation } from "../accounts/present.ts";
import { listViolations } from "../accounts/queries.ts";
import { BEARER, newApi } from "./api-env.ts";
import { decodeCursor, pageOf } from "./pagination.ts";
import { ListViolationsQuerySchema, ViolationListSchema, errorResponses } from "./schemas.ts";

const list = createRoute({
  method: "get",
  path: "/",
  tags: ["violations"],
  security: BEARER,
  summary: "List violations, newest first",
  request: { query: ListViolationsQuerySchema },
  responses: {
    200: {
      description: "A page of violations",
      content: { "application/json": { schema: ViolationListSchema } },
    },
    ...errorResponses(400),
  },
});

export const violationsApi = newApi().openapi(list, async (c) => {
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
