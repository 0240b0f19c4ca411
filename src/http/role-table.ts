/**
 * Who may call what (docs/api.md, "API keys and roles"): the table from route to least role,
 * DERIVED from the route declarations (each route names its role where it is declared, with
 * `apiRoute` in routes.ts), enforced by one middleware on `/v1/*` (roles.ts) and written into
 * the OpenAPI document. Pure: no Hono, no Workers types.
 *
 * DEFAULT DENY: a `/v1` route the table does not hold needs `admin`.
 * test/worker/api/roles.test.ts and route-table.test.ts walk the app's real route table and
 * check that every `/v1` route is declared, and declared once.
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
 * How a declared route is reached: its least role behind bearer auth, or `self` for the
 * routes that authenticate themselves and are mounted ahead of the auth and role middleware
 * (the console's sign-in, who-am-I and sign-out, session.ts; the trader page's data, shared.ts,
 * by share-link token).
 */
export type RouteAccess = Role | "self";

/** A route as declared: its method, its full path (OpenAPI `{id}` or Hono `:id`), its access. */
export interface DeclaredRoute {
  method: string;
  path: string;
  access: RouteAccess;
}

/** The OpenAPI path (`/v1/accounts/{id}`) of a Hono pattern (`/v1/accounts/:id`). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** The Hono pattern (`/v1/accounts/:id`) of an OpenAPI path (`/v1/accounts/{id}`). */
export function honoPath(openApi: string): string {
  return openApi.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
}

/** `GET` for `HEAD` (Hono answers HEAD with the GET route), upper case. */
function methodKey(method: string): string {
  const m = method.toUpperCase();
  return m === "HEAD" ? "GET" : m;
}

interface OpenApiOperation {
  description?: string;
  security?: Array<Record<string, string[]>>;
  [key: string]: unknown;
}

/** The role table of a set of declared routes; keys are `"<METHOD> <hono path>"`. */
export class RoleTable {
  /** Route -> least role, for the routes behind auth. */
  readonly roles: ReadonlyMap<string, Role>;
  /** The routes that authenticate themselves (any role may use them). */
  readonly selfAuthenticated: ReadonlySet<string>;

  /** Throws when a route is declared twice (two declarations could name two roles). */
  constructor(routes: Iterable<DeclaredRoute>) {
    const roles = new Map<string, Role>();
    const self = new Set<string>();
    for (const r of routes) {
      const key = `${methodKey(r.method)} ${honoPath(r.path)}`;
      if (roles.has(key) || self.has(key)) throw new Error(`route declared twice: ${key}`);
      if (r.access === "self") self.add(key);
      else roles.set(key, r.access);
    }
    this.roles = roles;
    this.selfAuthenticated = self;
  }

  /** The least role for a route (`path` the Hono pattern): admin unless declared. */
  roleFor(method: string, path: string): Role {
    return this.roles.get(`${methodKey(method)} ${path}`) ?? "admin";
  }

  /**
   * Writes each `/v1` operation's least role into an OpenAPI document: `x-required-role`, the
   * security requirement's role list (OpenAPI 3.1 allows roles there for non-OAuth schemes),
   * and a line in the description. Mutates and returns `doc`.
   */
  annotate<D extends { paths?: Record<string, unknown> }>(doc: D): D {
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      if (!path.startsWith("/v1/") || typeof item !== "object" || item === null) continue;
      for (const [method, op] of Object.entries(item as Record<string, OpenApiOperation>)) {
        if (typeof op !== "object" || op === null) continue;
        // A public operation (`security: []`: sign-in, the shared trader data) needs no role.
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        const role = this.roleFor(method, honoPath(path));
        op["x-required-role"] = role;
        op.security = [{ bearerAuth: [role] }];
        const line = `Least role: \`${role}\`.`;
        op.description = op.description ? `${op.description}\n\n${line}` : line;
      }
    }
    return doc;
  }
}
