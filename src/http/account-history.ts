/**
 * An account's history: its violations, its equity readings for a chart (docs/api.md,
 * "Accounts") and its rules versions ("Audit trail, reasons and rule versions"). All read Postgres only.
 */
import { listFloorHistory } from "../accounts/floor-history.ts";
import { apiRoute } from "./routes.ts";
import { floorsOverTime } from "../domain/floors-over-time.ts";
import { presentViolation } from "./present.ts";
import { listReadings, listViolations } from "../accounts/queries.ts";
import { listRulesVersions } from "../accounts/rules-versions.ts";
import { RulesVersionListSchema } from "./desk-schemas.ts";
import { accountOr404 } from "./accounts.ts";
import { newApi } from "./api-env.ts";
import { decodeCursor, pageOf } from "./pagination.ts";
import {
  AccountViolationsQuerySchema,
  EquityQuerySchema,
  EquitySchema,
  IdParamSchema,
  ViolationListSchema,
} from "./schemas.ts";

const tags = ["accounts"];

/** The default chart window when `from` is not given (ms). */
export const DEFAULT_EQUITY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The most readings one answer holds; a longer range gets its latest ones. */
export const MAX_EQUITY_POINTS = 10_000;

const violations = apiRoute({
  method: "get",
  path: "/{id}/violations",
  role: "viewer",
  tags,
  summary: "An account's violations, newest first",
  request: { params: IdParamSchema, query: AccountViolationsQuerySchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "A page of violations",
      content: { "application/json": { schema: ViolationListSchema } },
    },
  },
});

const equity = apiRoute({
  method: "get",
  path: "/{id}/equity",
  role: "viewer",
  tags,
  summary: "An account's equity readings for a chart, oldest first, with the floors at each",
  description: `Default window: the 24 hours up to \`to\` (default now). At most ${MAX_EQUITY_POINTS} points: the latest of the range.`,
  request: { params: IdParamSchema, query: EquityQuerySchema },
  errors: [400, 404],
  responses: {
    200: { description: "Readings", content: { "application/json": { schema: EquitySchema } } },
  },
});

const rules = apiRoute({
  method: "get",
  path: "/{id}/rules",
  role: "viewer",
  tags,
  summary: "Every version of an account's rules, oldest first",
  request: { params: IdParamSchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "Rules versions",
      content: { "application/json": { schema: RulesVersionListSchema } },
    },
  },
});

export const accountHistoryApi = newApi()
  .openapi(rules, async (c) => {
    const row = await accountOr404(c.var.db, c.req.valid("param").id);
    return c.json({ items: await listRulesVersions(c.var.db, row) }, 200);
  })
  .openapi(violations, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    await accountOr404(c.var.db, id);
    const rows = await listViolations(c.var.db, {
      accountId: id,
      since: q.since,
      beforeId: decodeCursor("violations", q.cursor),
      limit: q.limit,
    });
    const page = pageOf("violations", rows, q.limit);
    return c.json({ items: page.items.map(presentViolation), next_cursor: page.nextCursor }, 200);
  })
  .openapi(equity, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const account = await accountOr404(c.var.db, id);
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - DEFAULT_EQUITY_WINDOW_MS);
    const points = await listReadings(c.var.db, id, from, to, MAX_EQUITY_POINTS);
    const history = await listFloorHistory(c.var.db, id, account.rules, points[0]?.at ?? from);
    const floored = floorsOverTime(account.rules, points, account.metrics ?? null, history);
    const items = floored.map((p) => ({
      at: p.at.toISOString(),
      balance: p.balance,
      equity: p.equity,
      usage: p.usage,
      daily_floor: p.daily_floor,
      max_floor: p.max_floor,
    }));
    return c.json({ items }, 200);
  });
