/**
 * `GET /v1/violations.csv` and `GET /v1/accounts.csv` (docs/api.md, "Exports"): every row
 * matching the list's filters, streamed page by page (csv.ts). The stream outlives the
 * handler, so it opens its own database pool and closes it when the stream ends rather than
 * using the request's (which closes when the handler returns).
 */
import { sessionMaskOf } from "../secrets/session.ts";
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import { exportAccountsPage, exportViolationsPage, EXPORT_PAGE } from "../accounts/exports.ts";
import type { AccountExportRow, ViolationExportRow } from "../accounts/exports.ts";
import { openDb } from "../db/client.ts";
import { newApi } from "./api-env.ts";
import { attachment, csvStream, type CsvTable } from "./csv.ts";
import { AppError } from "./errors.ts";
import { ListAccountsQuerySchema, ListViolationsQuerySchema } from "./schemas.ts";

const csvContent = {
  "text/csv": { schema: z.string().openapi({ description: "RFC 4180, header row first." }) },
};

const AccountsCsvQuery = ListAccountsQuerySchema.omit({ limit: true, cursor: true });
const ViolationsCsvQuery = ListViolationsQuerySchema.omit({ limit: true, cursor: true });

const accountsCsv = apiRoute({
  method: "get",
  path: "/accounts.csv",
  role: "viewer",
  tags: ["accounts", "exports"],
  summary: "Every account matching the filters, as CSV (streamed, no page limit)",
  request: { query: AccountsCsvQuery },
  errors: [400],
  responses: { 200: { description: "CSV", content: csvContent } },
});

const violationsCsv = apiRoute({
  method: "get",
  path: "/violations.csv",
  role: "viewer",
  tags: ["violations", "exports"],
  summary: "Every violation matching the filters, as CSV (streamed, no page limit)",
  request: { query: ViolationsCsvQuery },
  errors: [400],
  responses: { 200: { description: "CSV", content: csvContent } },
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The columns of accounts.csv. */
export const ACCOUNTS_CSV: CsvTable<AccountExportRow> = {
  header: [
    "id",
    "login",
    "server",
    "session_id",
    "label",
    "status",
    "monitoring_state",
    "preset",
    "rules_version",
    "balance",
    "equity",
    "day_start",
    "hwm",
    "daily_floor",
    "max_floor",
    "usage_daily",
    "usage_max",
    "usage_overall",
    "trading_day",
    "metrics_updated_at",
    "problem",
    "created_at",
    "updated_at",
  ],
  cells: (r) => {
    const m = r.metrics;
    return [
      r.id,
      r.login,
      r.server,
      sessionMaskOf(r),
      r.label,
      r.status,
      r.monitoringState,
      r.preset,
      r.rulesVersion,
      m?.balance,
      m?.equity,
      m?.day_start,
      m?.hwm,
      m?.daily_floor,
      m?.max_floor,
      m?.usage.daily,
      m?.usage.max,
      m?.usage.overall,
      m?.trading_day,
      m?.updated_at,
      r.problem,
      iso(r.createdAt),
      iso(r.updatedAt),
    ];
  },
};

/** The columns of violations.csv. */
export const VIOLATIONS_CSV: CsvTable<ViolationExportRow> = {
  header: [
    "id",
    "account_id",
    "rule",
    "period",
    "equity",
    "floor",
    "usage",
    "source",
    "detected_at",
    "rules_version",
  ],
  cells: (r) => [
    r.id,
    r.accountId,
    r.rule,
    r.period,
    r.equity,
    r.floor,
    r.usage,
    r.source,
    iso(r.detectedAt),
    r.rulesVersion,
  ],
};

/** The headers of a CSV download named `name`. */
function csvHeaders(name: string): Record<string, string> {
  return {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": attachment(name),
    "cache-control": "no-store",
  };
}

/**
 * Exports one key may stream at once (per isolate): each holds a database pool for as long as
 * its reader reads, so a key cannot tie up the Worker with many slow downloads.
 */
export const MAX_EXPORTS_PER_KEY = 2;
const streaming = new Map<string, number>();

/** Takes one of the key's export slots, or answers 429; the returned function gives it back. */
export function exportSlot(actor: string): () => Promise<void> {
  const held = streaming.get(actor) ?? 0;
  if (held >= MAX_EXPORTS_PER_KEY)
    throw new AppError(
      429,
      "rate_limited",
      `at most ${MAX_EXPORTS_PER_KEY} exports at once per key: wait for one to finish`,
    );
  streaming.set(actor, held + 1);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const now = (streaming.get(actor) ?? 1) - 1;
    if (now > 0) streaming.set(actor, now);
    else streaming.delete(actor);
  };
}

export const exportsApi = newApi()
  .openapi(accountsCsv, (c) => {
    const q = c.req.valid("query");
    const release = exportSlot(c.var.principal.actor);
    const handle = openDb(c.env);
    const stream = csvStream(
      ACCOUNTS_CSV,
      (after) =>
        exportAccountsPage(handle.db, {
          status: q.status,
          monitoringState: q.monitoring_state,
          preset: q.preset,
          q: q.q,
          sort: q.sort,
          after: after ? { usage: after.sortUsage, id: after.id } : undefined,
          limit: EXPORT_PAGE,
        }),
      () => handle.close().finally(release),
    );
    return c.body(stream, 200, csvHeaders("accounts.csv"));
  })
  .openapi(violationsCsv, (c) => {
    const q = c.req.valid("query");
    const release = exportSlot(c.var.principal.actor);
    const handle = openDb(c.env);
    const stream = csvStream(
      VIOLATIONS_CSV,
      (after) =>
        exportViolationsPage(handle.db, {
          accountId: q.account_id,
          since: q.since,
          severity: q.severity,
          beforeId: after?.id,
          limit: EXPORT_PAGE,
        }),
      () => handle.close().finally(release),
    );
    return c.body(stream, 200, csvHeaders("violations.csv"));
  });
