/**
 * Who may call what (docs/api.md, "API keys and roles"): one declarative table from route to
 * least role, enforced by one middleware on `/v1/*` (roles.ts) and written into the OpenAPI
 * document. Pure: no Hono, no Workers types.
 *
 * DEFAULT DENY: a `/v1` route that is not in {@link ROUTE_ROLES} needs `admin`. To open a new
 * route to viewers or operators, add a line `"<METHOD> <hono path>": "<role>"`, where the path
 * is the full Hono pattern with `:param` names exactly as the route declares them (a
 * zod-openapi path `/{id}/reset` mounted at `/v1/accounts` is `/v1/accounts/:id/reset`).
 * test/worker/api/roles.test.ts walks the app's real route table and fails for any `/v1`
 * route missing here, so a new route is a conscious choice, and the role table of docs/api.md,
 * "API keys and roles", is this table.
 */

/** The roles, least to most. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `held` is at least `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

/**
 * Route -> least role. `viewer`: every GET except the keys; `operator`: also reset, force
 * live, poll, adjustments, webhook tests, dead-letter retries; `admin`: the rest.
 * Lines for routes other issues add (adjustments, webhooks, dead letters) are listed ahead so
 * that they land with the right role when merged; a line without a route does nothing.
 */
export const ROUTE_ROLES: Readonly<Record<string, Role>> = {
  // accounts
  "GET /v1/accounts": "viewer",
  "GET /v1/accounts.csv": "viewer",
  "POST /v1/accounts": "admin",
  "GET /v1/accounts/:id": "viewer",
  "PATCH /v1/accounts/:id": "admin",
  "DELETE /v1/accounts/:id": "admin",
  "GET /v1/accounts/:id/rules": "viewer",
  "GET /v1/accounts/:id/violations": "viewer",
  "GET /v1/accounts/:id/equity": "viewer",
  "POST /v1/accounts/:id/reset": "operator",
  "POST /v1/accounts/:id/live": "operator",
  "DELETE /v1/accounts/:id/live": "operator",
  "GET /v1/accounts/:id/adjustments": "viewer",
  "GET /v1/presets": "viewer",
  "POST /v1/accounts/:id/adjustments": "operator",
  // share links (docs/trader-page.md): viewers list, operators make and revoke
  "GET /v1/accounts/:id/shares": "viewer",
  "POST /v1/accounts/:id/shares": "operator",
  "DELETE /v1/accounts/:id/shares/:share_id": "operator",
  // violations, audit
  "GET /v1/violations": "viewer",
  "GET /v1/violations.csv": "viewer",
  "GET /v1/violations/:id": "viewer",
  "GET /v1/violations/:id/report": "viewer",
  "GET /v1/audit": "viewer",
  // monitor and poller
  "GET /v1/monitor": "viewer",
  "GET /v1/monitor/subscriptions": "viewer",
  "GET /v1/monitor/dead-letters": "viewer",
  "POST /v1/monitor/dead-letters/:id/retry": "operator",
  "POST /v1/poll": "operator",
  // enforcement (docs/enforcement.md, "API"): reads for viewers, every change admin
  "GET /v1/accounts/:id/enforcement": "viewer",
  "PATCH /v1/accounts/:id/enforcement": "admin",
  "GET /v1/enforcement": "viewer",
  "POST /v1/enforcement/halt": "admin",
  "POST /v1/enforcement/resume": "admin",
  // keys: admin only, reads included
  "GET /v1/keys": "admin",
  "POST /v1/keys": "admin",
  "DELETE /v1/keys/:id": "admin",
  // webhooks (docs/alerts.md): viewers read, operators test, admins manage
  "GET /v1/webhooks": "viewer",
  "POST /v1/webhooks": "admin",
  "GET /v1/webhooks/:id": "viewer",
  "PATCH /v1/webhooks/:id": "admin",
  "DELETE /v1/webhooks/:id": "admin",
  "POST /v1/webhooks/:id/test": "operator",
  "GET /v1/webhooks/:id/deliveries": "viewer",
  "POST /v1/webhooks/:id/deliveries/:message_id/retry": "admin",
};

/**
 * Routes that authenticate themselves and are mounted ahead of the auth and role middleware:
 * the console's sign-in, who-am-I and sign-out (session.ts), and the trader page's data
 * (shared.ts, by share-link token). Any role may use them.
 */
export const SELF_AUTHENTICATED: ReadonlySet<string> = new Set([
  "POST /v1/session",
  "GET /v1/session",
  "DELETE /v1/session",
  // The trader page's data: the share link's token is the credential (shared.ts).
  "GET /v1/shared/:token",
  "GET /v1/shared/:token/equity",
  "GET /v1/shared/:token/violations/:id/report",
]);

/** The least role for a route (`method` upper case, `path` the Hono pattern): admin unless listed. */
export function roleFor(method: string, path: string): Role {
  const m = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  return ROUTE_ROLES[`${m} ${path}`] ?? "admin";
}

/** The OpenAPI path (`/v1/accounts/{id}`) of a Hono pattern (`/v1/accounts/:id`). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

interface OpenApiOperation {
  description?: string;
  security?: Array<Record<string, string[]>>;
  [key: string]: unknown;
}

/**
 * Writes each `/v1` operation's least role into an OpenAPI document: `x-required-role`, the
 * security requirement's role list (OpenAPI 3.1 allows roles there for non-OAuth schemes),
 * and a line in the description. Mutates and returns `doc`.
 */
export function annotateRoles<D extends { paths?: Record<string, unknown> }>(doc: D): D {
  const byOpenApi = new Map<string, string>();
  for (const key of Object.keys(ROUTE_ROLES)) {
    const [method, path] = key.split(" ") as [string, string];
    byOpenApi.set(`${method} ${openApiPath(path)}`, key);
  }
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith("/v1/") || typeof item !== "object" || item === null) continue;
    for (const [method, op] of Object.entries(item as Record<string, OpenApiOperation>)) {
      if (typeof op !== "object" || op === null) continue;
      // A public operation (`security: []`: sign-in, the shared trader data) needs no role.
      if (Array.isArray(op.security) && op.security.length === 0) continue;
      const key = byOpenApi.get(`${method.toUpperCase()} ${path}`);
      const role: Role = key ? ROUTE_ROLES[key]! : "admin";
      op["x-required-role"] = role;
      op.security = [{ bearerAuth: [role] }];
      const line = `Least role: \`${role}\`.`;
      op.description = op.description ? `${op.description}\n\n${line}` : line;
    }
  }
  return doc;
}
