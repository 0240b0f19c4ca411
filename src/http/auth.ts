/**
 * Bearer auth for `/v1` (admin-api.md, "Auth and errors"): `Authorization: Bearer <ADMIN_TOKEN>`.
 *
 * The comparison takes the same time whatever the token: both sides are hashed to SHA-256
 * first (fixed length, so the token's length does not leak either) and the digests compared
 * with an XOR loop that never exits early.
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "./errors.ts";
import { sessionPrincipal } from "./session.ts";

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** True when `a` and `b` are equal, in time independent of where they differ. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < da.length; i++) diff |= da[i]! ^ db[i]!;
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

function unauthorized(message: string): AppError {
  return new AppError(401, "unauthorized", message);
}

/**
 * Rejects a request without the admin token with `401`. A Worker without `ADMIN_TOKEN`
 * configured rejects every request rather than accepting an empty token.
 */
export function adminAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const expected = c.env.ADMIN_TOKEN;
    const given = bearerToken(c.req.header("authorization"));
    // The console's session cookie stands in for the header (src/http/session.ts).
    if (!c.req.header("authorization") && (await sessionPrincipal(c))) return next();
    if (!given)
      throw unauthorized("missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>");
    if (!expected || !(await constantTimeEqual(given, expected))) {
      throw unauthorized("invalid bearer token");
    }
    await next();
  };
}
