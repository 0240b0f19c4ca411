/**
 * `GET /v1/violations/{id}/report` (viewer; docs/trader-page.md, "The breach report"): the
 * breach in words and numbers, replayed through the risk engine from the evidence kept at
 * breach time (src/domain/breach-report.ts). `?format=html` answers a printable page.
 */
import { apiRoute } from "./routes.ts";
import type { Context } from "hono";
import { findAccount, findViolation } from "../accounts/queries.ts";
import { reportInputs } from "../accounts/report-inputs.ts";
import type { Db } from "../db/client.ts";
import type { ViolationRow } from "../db/schema.ts";
import { buildBreachReport, type BreachReport } from "../domain/breach-report.ts";
import { newApi } from "./api-env.ts";
import { notFound } from "./errors.ts";
import { renderReportHtml } from "./report-html.ts";
import { BreachReportSchema, ReportQuerySchema } from "./report-schemas.ts";
import { IdParamSchema } from "./schemas.ts";

/** The report of violation `row`. */
export async function reportOf(db: Db, row: ViolationRow): Promise<BreachReport> {
  return buildBreachReport(await reportInputs(db, row));
}

/** Headers of a printable report page: no script, no outside resource, no referrer. */
export const REPORT_PAGE_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The report as the query asks: JSON, or the printable page titled `title`. */
export function answerReport(
  c: Context,
  report: BreachReport,
  format: "json" | "html" | undefined,
  title: string,
): Response {
  if (format === "html") {
    return c.html(renderReportHtml(report, title), 200, REPORT_PAGE_HEADERS);
  }
  return c.json(report, 200);
}

const get = apiRoute({
  method: "get",
  path: "/{id}/report",
  role: "viewer",
  tags: ["violations"],
  summary: "The breach report of a violation (JSON, or a printable page)",
  description:
    "The rule in plain words, the reading that crossed the floor, the floor computed step by step, and the equity from 30 minutes before the breach. The numbers are the risk engine's own: the evidence is replayed through it, and `check` says so if they ever disagree.",
  request: { params: IdParamSchema, query: ReportQuerySchema },
  errors: [400, 404],
  responses: {
    200: {
      description: "The report",
      content: {
        "application/json": { schema: BreachReportSchema },
        "text/html": { schema: { type: "string" } },
      },
    },
  },
});

export const reportApi = newApi().openapi(get, async (c) => {
  const { id } = c.req.valid("param");
  const { format } = c.req.valid("query");
  const row = await findViolation(c.var.db, id);
  if (!row) throw notFound("violation", id);
  const report = await reportOf(c.var.db, row);
  const account = await findAccount(c.var.db, row.accountId);
  const title = account
    ? (account.label ?? `${account.login} @ ${account.server}`)
    : `account ${row.accountId}`;
  return answerReport(c, report, format, title) as never;
});
