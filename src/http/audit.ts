/** `GET /v1/audit`: the audit trail, newest first (docs/api.md, "Audit trail, reasons and rule versions"). */
import { listAudit } from "../accounts/audit.ts";
import { apiRoute } from "./routes.ts";
import { presentAudit } from "../domain/audit.ts";
import { newApi } from "./api-env.ts";
import { AuditListSchema, AuditQuerySchema } from "./desk-schemas.ts";
import { decodeCursor, pageOf } from "./pagination.ts";

const list = apiRoute({
  method: "get",
  path: "/",
  role: "viewer",
  tags: ["audit"],
  summary: "The audit trail: every change and system decision, newest first",
  description:
    "Filters combine. `actor` is a key's name, admin-token, poller or monitor; rows written before version 2 have no stored actor and match no actor filter.",
  request: { query: AuditQuerySchema },
  errors: [400],
  responses: {
    200: {
      description: "A page of audit entries",
      content: { "application/json": { schema: AuditListSchema } },
    },
  },
});

export const auditApi = newApi().openapi(list, async (c) => {
  const q = c.req.valid("query");
  const rows = await listAudit(c.var.db, {
    accountId: q.account_id,
    actor: q.actor,
    action: q.action,
    since: q.since,
    beforeId: decodeCursor("audit", q.cursor),
    limit: q.limit,
  });
  const page = pageOf("audit", rows, q.limit);
  return c.json({ items: page.items.map(presentAudit), next_cursor: page.nextCursor }, 200);
});
