/**
 * `/v1/session`: the console's sign-in (docs/console.md, "Sign-in"). An API key is exchanged for a
 * signed session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` on https, 12 h) that names
 * the key by its SHA-256; the key itself is never stored in the browser.
 *
 * - Every request made with the cookie re-validates the key it names
 *   ({@link principalForKeyHash}), so revoking a key ends its sessions at once.
 * - CSRF: a cookie-authenticated change (any method but GET/HEAD/OPTIONS), and the sign-in
 *   itself, must carry `X-Requested-With: drawdown-sentinel` (a custom header, which a
 *   cross-site form cannot send and a cross-site script cannot send without a CORS preflight
 *   this API never grants) and, when the browser sends `Origin`, an Origin of this host.
 *   Bearer-authenticated requests are not affected.
 * - `POST` and `DELETE` are mounted before the bearer middleware (signing in needs no
 *   session; signing out always clears the cookie); `GET` authenticates itself.
 */
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { ADMIN_TOKEN_ACTOR } from "../domain/audit.ts";
import { eq } from "drizzle-orm";
import { loopbackAllowed } from "../alerts/url-policy.ts";
import type { Db } from "../db/client.ts";
import { consoleSessionRevocations } from "../db/schema.ts";
import { newApi, type ApiEnv } from "./api-env.ts";
import type { Principal } from "./auth.ts";
import { findLiveKey } from "./key-store.ts";
import type { Role } from "./role-table.ts";
import { AppError } from "./errors.ts";
import { ErrorSchema } from "./schemas.ts";
import {
  SESSION_COOKIE,
  SESSION_TTL_S,
  equalHex,
  newSessionId,
  sha256Hex,
  signSession,
  verifySession,
  type SessionClaims,
} from "./session-cookie.ts";

/** The header value a cookie-authenticated change must carry. */
export const CSRF_HEADER = "x-requested-with";
export const CSRF_VALUE = "drawdown-sentinel";

/**
 * The principal of the key whose SHA-256 is `keyHash`, or null when no such key is valid now:
 * ADMIN_TOKEN (role admin, actor `admin-token`) or a live API key (looked up on every call,
 * so revoking a key ends its sessions at once).
 */
export async function principalForKeyHash(
  env: Env,
  db: Db,
  keyHash: string,
): Promise<Principal | null> {
  if (env.ADMIN_TOKEN && equalHex(keyHash, await sha256Hex(env.ADMIN_TOKEN))) {
    return { actor: ADMIN_TOKEN_ACTOR, role: "admin", keyId: null };
  }
  const row = await findLiveKey(db, keyHash);
  if (!row || !equalHex(keyHash, row.hash)) return null;
  return { actor: row.name, role: row.role as Role, keyId: row.id };
}

/** What `/v1/session` answers about a principal. */
function sessionJson(p: Principal, expiresAt: string | null) {
  return { role: p.role, name: p.actor, expires_at: expiresAt };
}

/** A local run's cookie key when none is set: random, for this isolate's life only. */
let localSecret: string | null = null;

/**
 * The HMAC secret of session cookies: `SESSION_SECRET`. Never derived from `ADMIN_TOKEN`
 * (a cookie would let anyone holding one test guesses of the token offline). A deployed
 * Worker without it issues no session (503 `misconfigured`); a local run (`npm run dev` makes
 * one; without, a random one per isolate) still signs in. docs/security.md, "Sessions".
 */
function sessionSecret(env: Env): string | null {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  if (!loopbackAllowed(env)) return null;
  localSecret ??= newSessionId() + newSessionId();
  return localSecret;
}

/** True when the session `sid` was ended by a sign-out. */
async function sessionRevoked(db: Db, sid: string): Promise<boolean> {
  const [row] = await db
    .select({ id: consoleSessionRevocations.id })
    .from(consoleSessionRevocations)
    .where(eq(consoleSessionRevocations.id, sid));
  return row !== undefined;
}

/** The live claims of the request's session cookie, or null (none, bad, expired, signed out). */
async function sessionClaims(c: Context<ApiEnv>): Promise<SessionClaims | null> {
  const value = getCookie(c, SESSION_COOKIE);
  const secret = sessionSecret(c.env);
  if (!value || !secret) return null;
  const claims = await verifySession(secret, value, Date.now());
  if (!claims || (await sessionRevoked(c.var.db, claims.sid))) return null;
  return claims;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Throws 403 unless a browser change request carries the CSRF header and a same-host Origin. */
export function checkCsrf(c: Context): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (c.req.header(CSRF_HEADER)?.toLowerCase() !== CSRF_VALUE) {
    throw new AppError(
      403,
      "forbidden",
      `a change made with the session cookie needs the header ${CSRF_HEADER}: ${CSRF_VALUE}`,
    );
  }
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== "null") {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || host !== (c.req.header("host") ?? new URL(c.req.url).host)) {
      throw new AppError(403, "forbidden", "cross-origin request refused");
    }
  } else if (origin === "null") {
    throw new AppError(403, "forbidden", "cross-origin request refused");
  }
}

/**
 * The principal of the request's session cookie, or null when there is none or it is not
 * valid (bad signature, expired, its key revoked). Throws 403 for a cookie-authenticated
 * change without the CSRF header.
 */
export async function sessionPrincipal(c: Context<ApiEnv>): Promise<Principal | null> {
  const claims = await sessionClaims(c);
  if (!claims) return null;
  const principal = await principalForKeyHash(c.env, c.var.db, claims.keyHash);
  if (principal) checkCsrf(c);
  return principal;
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

const SignInSchema = z
  .strictObject({ key: z.string().min(1).max(500).openapi({ description: "An API key." }) })
  .openapi("SignIn");

const SessionSchema = z
  .object({
    role: z.enum(["viewer", "operator", "admin"]),
    name: z.string(),
    expires_at: z.iso.datetime().nullable().openapi({ description: "null for a bearer token" }),
  })
  .openapi("Session");

const errors = (...codes: Array<400 | 401 | 403>) =>
  Object.fromEntries(
    codes.map((s) => [
      s,
      { description: "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );

const tags = ["session"];

const signIn = apiRoute({
  method: "post",
  path: "/",
  role: "self",
  tags,
  security: [],
  summary: "Sign in: exchange an API key for a session cookie",
  description: `Needs the header \`${CSRF_HEADER}: ${CSRF_VALUE}\`. Sets an HttpOnly, SameSite=Strict cookie for 12 h.`,
  request: { body: { content: { "application/json": { schema: SignInSchema } }, required: true } },
  errors: null,
  responses: {
    200: {
      description: "Signed in",
      content: { "application/json": { schema: SessionSchema } },
    },
    ...errors(400, 401, 403),
    503: {
      description: "SESSION_SECRET is not set: no console session is issued (misconfigured)",
      content: { "application/json": { schema: ErrorSchema } },
    },
  },
});

const current = apiRoute({
  method: "get",
  path: "/",
  role: "self",
  tags,
  summary: "Who is signed in: role and key name",
  errors: null,
  responses: {
    200: { description: "The session", content: { "application/json": { schema: SessionSchema } } },
    ...errors(401),
  },
});

const signOut = apiRoute({
  method: "delete",
  path: "/",
  role: "self",
  tags,
  security: [],
  summary: "Sign out: end the session on the server and clear its cookie",
  errors: null,
  responses: { 204: { description: "Signed out" }, ...errors(403) },
});

const unauthorized = (message: string) => new AppError(401, "unauthorized", message);

export const sessionApi = newApi()
  .openapi(signIn, async (c) => {
    checkCsrf(c);
    const { key } = c.req.valid("json");
    const keyHash = await sha256Hex(key);
    const secret = sessionSecret(c.env);
    if (!secret)
      throw new AppError(
        503,
        "misconfigured",
        "console sign-in is off: set the SESSION_SECRET secret (32 random bytes or more)",
      );
    const principal = await principalForKeyHash(c.env, c.var.db, keyHash);
    if (!principal) throw unauthorized("invalid key");
    const exp = Math.floor(Date.now() / 1000) + SESSION_TTL_S;
    const sid = newSessionId();
    setCookie(c, SESSION_COOKIE, await signSession(secret, { sid, keyHash, exp }), {
      httpOnly: true,
      sameSite: "Strict",
      secure: isHttps(c),
      path: "/",
      maxAge: SESSION_TTL_S,
    });
    return c.json(sessionJson(principal, new Date(exp * 1000).toISOString()), 200);
  })
  .openapi(current, async (c) => {
    const token = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (token) {
      const principal = await principalForKeyHash(c.env, c.var.db, await sha256Hex(token));
      if (!principal) throw unauthorized("invalid bearer token");
      return c.json(sessionJson(principal, null), 200);
    }
    const claims = await sessionClaims(c);
    const principal = claims ? await principalForKeyHash(c.env, c.var.db, claims.keyHash) : null;
    if (!claims || !principal) throw unauthorized("not signed in");
    return c.json(sessionJson(principal, new Date(claims.exp * 1000).toISOString()), 200);
  })
  .openapi(signOut, async (c) => {
    checkCsrf(c);
    // Ended on the server too: the cookie, kept or copied, no longer signs in.
    const claims = await sessionClaims(c);
    if (claims)
      await c.var.db
        .insert(consoleSessionRevocations)
        .values({ id: claims.sid, expiresAt: new Date(claims.exp * 1000) })
        .onConflictDoNothing();
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true });
    return c.body(null, 204);
  });
