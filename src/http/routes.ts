/**
 * Routes declared once (docs/api.md, "API keys and roles"): `apiRoute` declares a route with
 * its method, path, zod schemas, error answers and least role. The schemas validate the
 * input and produce the OpenAPI document; the role table (role-table.ts) is derived from the
 * same declarations as the app mounts them, so no list restates them.
 */
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Env } from "hono";
import { BEARER } from "./api-env.ts";
import { RoleTable, type DeclaredRoute, type RouteAccess } from "./role-table.ts";
import { errorResponses, type ErrorStatus } from "./schemas.ts";

/**
 * Where a declaration keeps its access. A symbol: `OpenAPIHono.route` copies it with the route
 * when a sub-app is mounted (object spread copies symbol keys), and the OpenAPI document, being
 * JSON, never shows it.
 */
const ACCESS = Symbol("route access");

/** What `apiRoute` takes: a zod-openapi route, its least role and its error answers. */
export type ApiRouteInput = Omit<RouteConfig, "security" | "hide"> & {
  /** The least role, or `self` for a route that authenticates itself (session.ts). */
  role: RouteAccess;
  /**
   * The error statuses it may answer besides the 401 and 403 of every authenticated route
   * (those two are always listed); `null` lists none at all (GET /v1/webhooks has been
   * published so, and the document does not change).
   */
  errors?: readonly Exclude<ErrorStatus, 401 | 403>[] | null;
  /** Only for `self` routes; the rest take the bearer requirement. */
  security?: RouteConfig["security"];
};

type ErrorAnswers = ReturnType<typeof errorResponses>;

/** A declared route: what `createRoute` gives, with the error answers in its responses. */
export type ApiRoute<C extends ApiRouteInput> = ReturnType<
  typeof createRoute<
    C["path"],
    Omit<C, "role" | "errors" | "security"> & {
      security: RouteConfig["security"];
      responses: C["responses"] & ErrorAnswers;
    }
  >
>;

/** Declares a route: `app.openapi(apiRoute({ method, path, ..., role: "viewer", errors: [404] }), handler)`. */
export function apiRoute<C extends ApiRouteInput>(config: C): ApiRoute<C> {
  const { role, errors, method, path, tags, security, responses, ...rest } = config;
  // Keys in the order the published document has them: tags, security, summary, description.
  const route = createRoute({
    method,
    path,
    tags,
    security: security ?? BEARER,
    ...rest,
    responses: { ...responses, ...(errors === null ? {} : errorResponses(...(errors ?? []))) },
  });
  return Object.assign(route, { [ACCESS]: role }) as unknown as ApiRoute<C>;
}

/**
 * Every route the app declared, with its full path as mounted (read from the app's OpenAPI
 * registry, which `app.route` fills with each sub-app's routes under their prefix). A route
 * declared without `apiRoute` (say, a bare `createRoute`) is left out, so it falls to `admin`.
 */
export function declaredRoutes<E extends Env>(app: OpenAPIHono<E>): DeclaredRoute[] {
  return app.openAPIRegistry.definitions.flatMap((d) => {
    if (d.type !== "route") return [];
    const access = (d.route as { [ACCESS]?: RouteAccess })[ACCESS];
    return access === undefined ? [] : [{ method: d.route.method, path: d.route.path, access }];
  });
}

/** The role table of an app, derived from its declared routes. */
export function roleTableOf<E extends Env>(app: OpenAPIHono<E>): RoleTable {
  return new RoleTable(declaredRoutes(app));
}
