/**
 * The admin HTTP API (admin-api.md): one OpenAPIHono app with a sub-app per resource, one
 * error handler, bearer auth and a per-request database on `/v1`, and the OpenAPI 3.1
 * document generated from the same zod schemas that validate the input. `/health` and
 * `/openapi.json` are public.
 */
import { createRoute } from "@hono/zod-openapi";
import { VERSION } from "../version.ts";
import { accountActionsApi } from "./account-actions.ts";
import { accountHistoryApi } from "./account-history.ts";
import { accountsApi } from "./accounts.ts";
import { dbPerRequest, newApi } from "./api-env.ts";
import { adminAuth } from "./auth.ts";
import { onError, onNotFound } from "./errors.ts";
import { monitorApi } from "./monitor.ts";
import { HealthSchema } from "./monitor-schemas.ts";
import { pollApi } from "./poll.ts";
import { violationsApi } from "./violations.ts";
import { webhooksApi } from "./webhooks.ts";

export const app = newApi();

app.onError(onError);
app.notFound(onNotFound);

// Auth before anything under /v1 (an unknown /v1 path is a 401 without the token and a 404
// with it), and the database after auth, so that a rejected request opens nothing.
app.use("/v1/*", adminAuth());
app.use("/v1/*", dbPerRequest());

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

app.route("/v1/accounts", accountsApi);
app.route("/v1/accounts", accountActionsApi);
app.route("/v1/accounts", accountHistoryApi);
app.route("/v1/violations", violationsApi);
app.route("/v1/monitor", monitorApi);
app.route("/v1/poll", pollApi);
app.route("/v1/webhooks", webhooksApi);

app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
  type: "http",
  scheme: "bearer",
  description: "The ADMIN_TOKEN secret.",
});

app.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "Drawdown Sentinel admin API",
    version: VERSION,
    description: "Accounts, violations, the live monitor and the poller (admin-api.md).",
  },
  security: [{ bearerAuth: [] }],
  tags: [
    { name: "accounts" },
    { name: "violations" },
    { name: "monitor" },
    { name: "poller" },
    { name: "webhooks" },
    { name: "health" },
  ],
});
