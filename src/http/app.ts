/**
 * The admin HTTP API (docs/api.md): one OpenAPIHono app with a sub-app per resource, one
 * error handler, a per-request database, bearer auth (ADMIN_TOKEN or a named key) and the
 * role table on `/v1` (derived from the route declarations: routes.ts, role-table.ts, roles.ts),
 * and the OpenAPI 3.1 document generated from the same zod schemas that validate the input,
 * each operation marked with its least role. `/health` and
 * `/openapi.json` are public.
 */
import { createRoute } from "@hono/zod-openapi";
import { VERSION } from "../util/version.ts";
import { accountActionsApi } from "./account-actions.ts";
import { adjustmentsApi } from "./adjustments.ts";
import { accountHistoryApi } from "./account-history.ts";
import { tradesApi } from "./trades.ts";
import { calendarApi } from "./calendar.ts";
import { accountsApi } from "./accounts.ts";
import { credentialsApi } from "./credentials.ts";
import { dbPerRequest, newApi } from "./api-env.ts";
import { auditApi } from "./audit.ts";
import { requireSafeAdminToken } from "./admin-token.ts";
import { authFailureLimit } from "./auth-limit.ts";
import { apiAuth } from "./auth.ts";
import { exportsApi } from "./exports.ts";
import { keysApi } from "./keys.ts";
import { requireRole } from "./roles.ts";
import { roleTableOf } from "./routes.ts";
import { onError, onNotFound } from "./errors.ts";
import { monitorApi } from "./monitor.ts";
import { HealthSchema } from "./monitor-schemas.ts";
import { pollApi } from "./poll.ts";
import { secureHeaders } from "hono/secure-headers";
import { limitBodies } from "./body-limit.ts";
import { sessionApi } from "./session.ts";
import { reportApi } from "./report.ts";
import { sharedApi, traderPage } from "./shared.ts";
import { sharedLimit } from "./shared-limit.ts";
import { sharesApi } from "./shares.ts";
import { presetsApi } from "./presets.ts";
import { violationsApi } from "./violations.ts";
import { webhooksApi } from "./webhooks.ts";
import { enforcementApi } from "./enforcement.ts";

export const app = newApi();

app.onError(onError);
app.notFound(onNotFound);

// The database first (its pool connects lazily: a request refused without a key look-up
// opens nothing), then the console's sign-in/out, which authenticate themselves
// (src/http/session.ts), then auth before anything else under /v1 (an unknown /v1 path is a
// 401 without a key and a 404 with one), then the role of the matched route (default deny:
// admin).
// Before all of it: a too-short ADMIN_TOKEN refuses everything (500 misconfigured), and a
// client that failed auth too often is answered 429 (src/http/auth-limit.ts).
// First of all, every answer gets the security headers (the console's own come from its
// _headers file), and every body is limited before anything reads it (src/http/body-limit.ts).
app.use(
  "*",
  secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    referrerPolicy: "no-referrer",
    strictTransportSecurity: "max-age=31536000; includeSubDomains",
    // A page that sets its own (the trader page, the printable report) keeps them.
    overwrite: false,
  }),
);
app.use("*", limitBodies());
app.use("/v1/*", requireSafeAdminToken());
app.use("/v1/*", authFailureLimit());
app.use("/v1/*", dbPerRequest());
app.route("/v1/session", sessionApi);
// The trader's side of a share link: the token is its only credential (src/http/shared.ts),
// so it is mounted ahead of auth, with limits per client and per token of its own.
app.use("/v1/shared/*", sharedLimit());
app.route("/v1/shared", sharedApi);
app.use("/t/*", sharedLimit());
app.use("/t/*", dbPerRequest());
app.get("/t/:token", traderPage);
app.use("/v1/*", apiAuth());
app.use(
  "/v1/*",
  requireRole(() => roleTable),
);

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["health"],
  security: [],
  summary: "Liveness and version (no token needed)",
  responses: {
    200: { description: "Up", content: { "application/json": { schema: HealthSchema } } },
  },
});
app.openapi(health, (c) => c.json({ ok: true as const, version: VERSION }, 200));

// The exports first: `/v1/accounts.csv` must not be read as an account id.
app.route("/v1", exportsApi);
app.route("/v1/accounts", accountsApi);
app.route("/v1/accounts", accountActionsApi);
app.route("/v1/accounts", credentialsApi);
app.route("/v1/accounts", accountHistoryApi);
app.route("/v1/accounts", tradesApi);
app.route("/v1", calendarApi);
app.route("/v1/violations", violationsApi);
app.route("/v1/violations", reportApi);
app.route("/v1/accounts", sharesApi);
app.route("/v1/monitor", monitorApi);
app.route("/v1/poll", pollApi);
app.route("/v1/audit", auditApi);
app.route("/v1/keys", keysApi);
app.route("/v1/accounts", adjustmentsApi);
app.route("/v1/presets", presetsApi);
app.route("/v1/webhooks", webhooksApi);
app.route("/v1", enforcementApi);

/** Route -> least role, derived from the routes as declared and mounted above. */
export const roleTable = roleTableOf(app);

app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
  type: "http",
  scheme: "bearer",
  description:
    "An API key (sk_...) or the ADMIN_TOKEN secret. Each operation lists its least role (viewer, operator, admin) in its security requirement and in x-required-role.",
});

const openApiConfig = {
  openapi: "3.1.0",
  info: {
    title: "Drawdown Sentinel admin API",
    version: VERSION,
    description:
      "Accounts, violations, the live monitor, the poller, API keys and the audit trail (docs/api.md).",
  },
  security: [{ bearerAuth: [] }],
  tags: [
    { name: "accounts" },
    { name: "violations" },
    { name: "exports" },
    { name: "audit" },
    { name: "keys" },
    { name: "monitor" },
    { name: "poller" },
    { name: "webhooks" },
    { name: "health" },
    { name: "session" },
    { name: "shared" },
  ],
};

/** The document as served: its text and its strong ETag (SHA-256 of the text). */
interface OpenApiDoc {
  text: string;
  etag: string;
}

/** The document, built once per isolate on first request (the routes do not change after load). */
let openApiDoc: Promise<OpenApiDoc> | null = null;
let openApiBuildCount = 0;

/** How many times this isolate built the OpenAPI document (1 after any number of requests). */
export function openApiBuilds(): number {
  return openApiBuildCount;
}

async function buildOpenApi(): Promise<OpenApiDoc> {
  openApiBuildCount++;
  const text = JSON.stringify(roleTable.annotate(app.getOpenAPI31Document(openApiConfig)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest).slice(0, 16)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  return { text, etag: `"${hex}"` };
}

// Built on first request, then served from memory, with each operation's role from the role
// table. A client or cache may keep it for 5 minutes and revalidate by ETag (docs/api.md,
// "Health and docs"); a deploy changes the text and so the ETag.
app.get("/openapi.json", async (c) => {
  openApiDoc ??= buildOpenApi().catch((err: unknown) => {
    openApiDoc = null;
    throw err;
  });
  const doc = await openApiDoc;
  const headers = { etag: doc.etag, "cache-control": "public, max-age=300" };
  if (c.req.header("if-none-match") === doc.etag) return c.body(null, 304, headers);
  return c.body(doc.text, 200, { ...headers, "content-type": "application/json" });
});
