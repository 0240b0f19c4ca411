/**
 * `GET /v1/accounts/{id}/trades` (docs/trades.md, "API"): an account's positions, pending
 * orders and balance operations, newest first, each with the ids of the violations it caused.
 */
import { z } from "@hono/zod-openapi";
import { listTrades, violationsOfTrades } from "../accounts/trades.ts";
import { presentTrade } from "../accounts/trades.ts";
import { TRADE_STATES } from "../domain/trades/orders.ts";
import { accountOr404 } from "./accounts.ts";
import { newApi } from "./api-env.ts";
import { decodeCursor, pageOf } from "./pagination.ts";
import { apiRoute } from "./routes.ts";
import { IdParamSchema, cursorField, id, isoTime, limitField, queryTime } from "./schemas.ts";

export const TradeSchema = z
  .object({
    ticket: z.number().int(),
    symbol: z.string(),
    side: z
      .string()
      .openapi({ description: "The bridge's orderType: Buy, Sell, BuyLimit, ..., Balance." }),
    kind: z.enum(["position", "pending", "balance"]),
    state: z.enum(TRADE_STATES).openapi({
      description: "vanished: left the open list with no close seen yet (counts for no rule).",
    }),
    lots: z.number(),
    open_time: isoTime(),
    open_price: z.number().nullable(),
    close_time: isoTime().nullable(),
    close_price: z.number().nullable(),
    stop_loss: z.number().openapi({ description: "0: none." }),
    take_profit: z.number(),
    profit: z.number(),
    swap: z.number(),
    commission: z.number(),
    violations: z.array(id()).openapi({ description: "Ids of the violations it caused." }),
  })
  .openapi("Trade");

const TradeListSchema = z
  .object({ items: z.array(TradeSchema), next_cursor: z.string().nullable() })
  .openapi("TradeList");

const TradesQuerySchema = z.object({
  state: z.enum(TRADE_STATES).optional(),
  since: queryTime().optional().openapi({
    description: "ISO 8601: only trades opened at or after this time.",
    type: "string",
  }),
  limit: limitField,
  cursor: cursorField,
});

const list = apiRoute({
  method: "get",
  path: "/{id}/trades",
  role: "viewer",
  tags: ["accounts"],
  summary: "An account's trades, newest first, with the violations each caused",
  request: { params: IdParamSchema, query: TradesQuerySchema },
  responses: {
    200: {
      description: "A page of trades",
      content: { "application/json": { schema: TradeListSchema } },
    },
  },
  errors: [400, 404],
});

export const tradesApi = newApi().openapi(list, async (c) => {
  const { id: accountId } = c.req.valid("param");
  const q = c.req.valid("query");
  await accountOr404(c.var.db, accountId);
  const rows = await listTrades(c.var.db, {
    accountId,
    state: q.state,
    since: q.since,
    beforeId: decodeCursor("trades", q.cursor),
    limit: q.limit,
  });
  const page = pageOf("trades", rows, q.limit);
  const caused = await violationsOfTrades(c.var.db, accountId, page.items);
  return c.json(
    {
      items: page.items.map((r) => ({ ...presentTrade(r), violations: caused.get(r.id) ?? [] })),
      next_cursor: page.nextCursor,
    },
    200,
  );
});
