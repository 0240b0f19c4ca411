/**
 * What every admin API sub-app shares: the Hono environment (bindings and the request's
 * database), an `OpenAPIHono` whose failed validations become the API's error shape, and the
 * per-request database middleware.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { openDb, type Db } from "../db/client.ts";
import type { Principal } from "./auth.ts";
import { validationHook } from "./validation.ts";

/** Bindings and request variables of the admin API. */
export interface ApiEnv {
  Bindings: Env;
  Variables: {
    /** The request's database (see {@link dbPerRequest}). */
    db: Db;
    /** Who is calling (see auth.ts); set on every `/v1` request. */
    principal: Principal;
  };
}

/** A sub-app (or the root app) with the shared validation hook. */
export function newApi(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
}

/**
 * The OpenAPI security requirement of every `/v1` route (the role in it is filled in from
 * the declared route when the document is served: routes.ts, role-table.ts).
 */
export const BEARER = [{ bearerAuth: [] }];

/**
 * One Postgres pool per request. A Workers `Pool` must not outlive the request that made it
 * (Workers I/O is bound to its request; see src/db/client.ts), so it is opened here and closed
 * after the answer, in `waitUntil`, whatever the route did. The pool connects lazily: routes
 * that never query (the monitor's) open no connection.
 */
export function dbPerRequest(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const handle = openDb(c.env);
    c.set("db", handle.db);
    try {
      await next();
    } finally {
      c.executionCtx.waitUntil(handle.close());
    }
  };
}
