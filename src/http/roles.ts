/**
 * The role check on `/v1/*`: the least role of the route a request matched, from the role
 * table derived from the route declarations (routes.ts; default deny: a route not declared
 * needs `admin`).
 */
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { ApiEnv } from "./api-env.ts";
import { AppError } from "./errors.ts";
import { roleAllows, type RoleTable } from "./role-table.ts";

/**
 * The handler route a request matched, or null when none did (a 404 follows). Middleware
 * (`use` patterns ending in `*`) is skipped; a handler for every method (`app.all`) counts,
 * so it too falls under the table (default: admin).
 */
function handlerRoute(
  c: Parameters<MiddlewareHandler>[0],
): { method: string; path: string } | null {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (!r.path.endsWith("*")) return { method: r.method, path: r.path };
  }
  return null;
}

/**
 * Refuses a request whose principal (set by the auth middleware) lacks the route's role:
 * `403 forbidden`. A request that matches no route goes on to the 404. `table` is read per
 * request: the middleware is installed before the routes it guards are mounted.
 */
export function requireRole(table: () => RoleTable): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const route = handlerRoute(c);
    if (route) {
      const needed = table().roleFor(c.req.method, route.path);
      const who = c.var.principal;
      if (!roleAllows(who.role, needed)) {
        throw new AppError(
          403,
          "forbidden",
          `${route.method} ${route.path} needs the ${needed} role; ${who.actor} is ${who.role}`,
          { needed, role: who.role },
        );
      }
    }
    await next();
  };
}
