/**
 * The trader's side of a share link (docs/trader-page.md): `GET /v1/shared/{token}` (this one
 * account's floors, usage, distance to each floor, the next daily reset, objectives and
 * violations), `.../equity` (the chart with the floors over time), `.../trades` (the newest
 * trades with the violations each caused), `.../violations/{id}/report` (the breach report,
 * JSON or printable), and the page itself, `GET /t/{token}`.
 *
 * No bearer and no session: the token is the only credential, and these routes never read or
 * set the console's session cookie. A guessed, expired, revoked or malformed token gets the
 * same 404 after the same steps (share-token.ts); requests are rate-limited per client and
 * per token (shared-limit.ts). Nothing of the desk is in an answer: no session token, no
 * audit, no keys, no other account, no monitoring internals.
 */
import { withTradeDays } from "../accounts/trades.ts";
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import type { Context } from "hono";
import { listFloorHistory } from "../accounts/floor-history.ts";
import { listTrades, presentTrade, violationsOfTrades } from "../accounts/trades.ts";
import { findAccount, findViolation, listReadings, listViolations } from "../accounts/queries.ts";
import type { Db } from "../db/client.ts";
import type { AccountRow, AccountShareRow } from "../db/schema.ts";
import { ruleText } from "../domain/breach-report.ts";
import { floorsOverTime } from "../domain/floors-over-time.ts";
import { DEFAULT_CURRENCY_DIGITS, roundMoney, tradingDayAt } from "../risk/index.ts";
import type { ApiEnv } from "./api-env.ts";
import { newApi } from "./api-env.ts";
import { AppError } from "./errors.ts";
import { answerReport, reportOf } from "./report.ts";
import {
  BreachReportSchema,
  ReportQuerySchema,
  SharedAccountSchema,
  SharedEquitySchema,
  TokenParamSchema,
  TokenViolationParamSchema,
} from "./report-schemas.ts";
import { ErrorSchema } from "./schemas.ts";
import { resolveShare } from "./share-token.ts";
import { TradeSchema } from "./trades.ts";

/** The violations a trader page lists (the newest). */
export const SHARED_VIOLATIONS = 50;
/** The trader's equity chart: the last 24 hours. */
export const SHARED_EQUITY_WINDOW_MS = 24 * 60 * 60 * 1000;
const SHARED_EQUITY_POINTS = 5_000;
/** The trades a trader page lists (the newest, open and closed). */
export const SHARED_TRADES = 100;

const SharedTradesSchema = z
  .object({ items: z.array(TradeSchema) })
  .openapi("SharedTrades", { description: `The newest ${SHARED_TRADES} trades, newest first.` });

/** Headers of every shared answer: never cached, never sent on as a referrer. */
const PRIVATE_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex",
};

/** The one answer to every unusable token. */
function linkNotFound(): AppError {
  return new AppError(404, "not_found", "this link does not exist, has expired or was revoked");
}

/** The share link and its account, or the one 404. */
async function shareOr404(
  c: Context<ApiEnv>,
  token: string,
): Promise<{ share: AccountShareRow; account: AccountRow }> {
  for (const [k, v] of Object.entries(PRIVATE_HEADERS)) c.header(k, v);
  const share = await resolveShare(c.var.db, token, Date.now());
  const account = share ? await findAccount(c.var.db, share.accountId) : null;
  if (!share || !account) throw linkNotFound();
  // Trading days counted from trades once they are read (docs/trades.md, "Trading days").
  const [shown] = await withTradeDays(c.var.db, [account]);
  return { share, account: shown! };
}

const errors = {
  404: {
    description: "Unknown, expired, revoked or malformed link (one answer for all)",
    content: { "application/json": { schema: ErrorSchema } },
  },
  429: {
    description: "Too many requests from this client or for this link",
    content: { "application/json": { schema: ErrorSchema } },
  },
};

const data = apiRoute({
  method: "get",
  path: "/{token}",
  role: "self",
  tags: ["shared"],
  security: [],
  summary: "The trader page's data: one account's floors, usage, reset, objectives, violations",
  request: { params: TokenParamSchema },
  errors: null,
  responses: {
    200: {
      description: "The account as its trader sees it",
      content: { "application/json": { schema: SharedAccountSchema } },
    },
    ...errors,
  },
});

const equity = apiRoute({
  method: "get",
  path: "/{token}/equity",
  role: "self",
  tags: ["shared"],
  security: [],
  summary: "The trader page's chart: equity of the last 24 hours with the floors at each reading",
  request: { params: TokenParamSchema },
  errors: null,
  responses: {
    200: {
      description: "Readings, oldest first",
      content: { "application/json": { schema: SharedEquitySchema } },
    },
    ...errors,
  },
});

const tradesRoute = apiRoute({
  method: "get",
  path: "/{token}/trades",
  role: "self",
  tags: ["shared"],
  security: [],
  summary: "The trader page's trades: the newest, with the violations each caused",
  request: { params: TokenParamSchema },
  errors: null,
  responses: {
    200: {
      description: "Trades, newest first",
      content: { "application/json": { schema: SharedTradesSchema } },
    },
    ...errors,
  },
});

const report = apiRoute({
  method: "get",
  path: "/{token}/violations/{id}/report",
  role: "self",
  tags: ["shared"],
  security: [],
  summary: "The breach report of one of this account's violations (JSON, or a printable page)",
  request: { params: TokenViolationParamSchema, query: ReportQuerySchema },
  errors: null,
  responses: {
    200: {
      description: "The report",
      content: {
        "application/json": { schema: BreachReportSchema },
        "text/html": { schema: { type: "string" } },
      },
    },
    ...errors,
  },
});

/** What a trader sees of `account` at `nowMs`. */
async function sharedView(db: Db, account: AccountRow, share: AccountShareRow, nowMs: number) {
  const rules = account.rules;
  const digits = rules.currency_digits ?? DEFAULT_CURRENCY_DIGITS;
  const scale = 10 ** digits;
  const m = account.metrics ?? null;
  const floors = m
    ? (["daily_loss", "max_loss"] as const).map((rule) => {
        const floor = rule === "daily_loss" ? m.daily_floor : m.max_floor;
        return {
          rule,
          floor,
          distance: roundMoney(m.equity - floor, scale, m.equity),
          usage: rule === "daily_loss" ? m.usage.daily : m.usage.max,
          text: ruleText(rule, rules),
        };
      })
    : [];
  const reset = rules.daily_reset;
  const day = tradingDayAt(nowMs, reset.timezone, reset.hour, reset.minute ?? 0, reset.label);
  const rows = await listViolations(db, { accountId: account.id, limit: SHARED_VIOLATIONS });
  return {
    account: {
      label: account.label,
      login: account.login,
      server: account.server,
      status: account.status,
      currency_digits: digits,
      initial_balance: rules.initial_balance,
    },
    metrics: m,
    floors,
    next_reset: {
      at: new Date(day.endMs).toISOString(),
      in_s: Math.max(0, Math.round((day.endMs - nowMs) / 1000)),
      firm_timezone: reset.timezone,
      trading_day: day.day,
    },
    objectives: m?.objectives ?? null,
    violations: rows.slice(0, SHARED_VIOLATIONS).map((v) => ({
      id: v.id,
      rule: v.rule as "daily_loss" | "max_loss",
      period: v.period,
      equity: v.equity,
      floor: v.floor,
      usage: v.usage,
      source: v.source,
      detected_at: v.detectedAt.toISOString(),
    })),
    link: { expires_at: share.expiresAt.toISOString() },
    server_time: new Date(nowMs).toISOString(),
  };
}

export const sharedApi = newApi()
  .openapi(data, async (c) => {
    const { share, account } = await shareOr404(c, c.req.valid("param").token);
    return c.json(await sharedView(c.var.db, account, share, Date.now()), 200);
  })
  .openapi(equity, async (c) => {
    const { account } = await shareOr404(c, c.req.valid("param").token);
    const to = new Date();
    const from = new Date(to.getTime() - SHARED_EQUITY_WINDOW_MS);
    const points = await listReadings(c.var.db, account.id, from, to, SHARED_EQUITY_POINTS);
    const history = await listFloorHistory(
      c.var.db,
      account.id,
      account.rules,
      points[0]?.at ?? from,
    );
    const items = floorsOverTime(account.rules, points, account.metrics ?? null, history).map(
      (p) => ({
        at: p.at.toISOString(),
        equity: p.equity,
        balance: p.balance,
        daily_floor: p.daily_floor,
        max_floor: p.max_floor,
      }),
    );
    return c.json({ items }, 200);
  })
  .openapi(tradesRoute, async (c) => {
    const { account } = await shareOr404(c, c.req.valid("param").token);
    const rows = (
      await listTrades(c.var.db, { accountId: account.id, limit: SHARED_TRADES })
    ).slice(0, SHARED_TRADES);
    const caused = await violationsOfTrades(c.var.db, account.id, rows);
    const items = rows.map((r) => ({ ...presentTrade(r), violations: caused.get(r.id) ?? [] }));
    return c.json({ items }, 200);
  })
  .openapi(report, async (c) => {
    const { token, id } = c.req.valid("param");
    const { format } = c.req.valid("query");
    const { account } = await shareOr404(c, token);
    const row = await findViolation(c.var.db, id);
    // Another account's violation is as unknown as a missing one.
    if (!row || row.accountId !== account.id) throw linkNotFound();
    const title = account.label ?? `${account.login} @ ${account.server}`;
    return answerReport(c, await reportOf(c.var.db, row), format, title) as never;
  });

/** Headers of the trader page: its own scripts only, no referrer (the token is in the URL). */
const PAGE_HEADERS: Record<string, string> = {
  ...PRIVATE_HEADERS,
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
};

/** The trader page's HTML: a shell that loads trader.js (console/trader, built into dist/console). */
export function traderPageHtml(found: boolean): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="robots" content="noindex" />
    <meta name="referrer" content="no-referrer" />
    <title>${found ? "Your account" : "Link not found"} · Drawdown Sentinel</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/trader.css" />
  </head>
  <body>
    <div id="trader"${found ? "" : ' data-missing="1"'}></div>
    <script type="module" src="/trader.js"></script>
  </body>
</html>`;
}

/**
 * `GET /t/{token}`: the trader page. A usable link answers 200; any other 404, with the same
 * page (which then says the link does not work). Needs the request's database.
 */
export async function traderPage(c: Context<ApiEnv>): Promise<Response> {
  const token = c.req.param("token") ?? "";
  const share = await resolveShare(c.var.db, token, Date.now());
  const account = share ? await findAccount(c.var.db, share.accountId) : null;
  return c.html(traderPageHtml(account !== null), account ? 200 : 404, PAGE_HEADERS);
}
