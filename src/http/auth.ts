/**
 * Bearer auth for `/v1` (docs/api.md, "Auth and errors" and "API keys and roles"):
 * `Authorization: Bearer <ADMIN_TOKEN or API key>`.
 *
 * The comparison takes the same time whatever the token: both sides are hashed to SHA-256
 * first (fixed length, so the token's length does not leak either) and the digests compared
 * with an XOR loop that never exits early.
 */
import type { MiddlewareHandler } from "hono";
import { ADMIN_TOKEN_ACTOR } from "../domain/audit.ts";
import { log } from "../util/log.ts";
import type { ApiEnv } from "./api-env.ts";
import { AppError } from "./errors.ts";
import { findLiveKey, KEY_PREFIX, lastUsedIsStale, sha256Hex, touchKey } from "./key-store.ts";
import type { Role } from "./role-table.ts";
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

/** Who is calling: an actor name for the audit, a role, and the key's id (null for the token). */
export interface Principal {
  actor: string;
  role: Role;
  keyId: number | null;
}

/**
 * Authenticates `/v1` requests: `ADMIN_TOKEN` (the bootstrap admin, actor `admin-token`) or a
 * named key (`sk_...`, looked up by its SHA-256 on every request, so a revoked key is refused
 * at once; no cache). Anything else is `401`. A Worker without `ADMIN_TOKEN` configured
 * accepts keys only. Sets `principal`; the role check is roles.ts.
 *
 * `last_used_at` is written at most once a minute per key: only when the row read shows it
 * stale, concurrently with the handler; a failed write is logged, never the request's error.
 */
export function apiAuth(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const given = bearerToken(c.req.header("authorization"));
    // The console's session cookie stands in for the header (src/http/session.ts).
    if (!c.req.header("authorization")) {
      const session = await sessionPrincipal(c);
      if (session) {
        c.set("principal", session);
        return next();
      }
    }
    if (!given)
      throw unauthorized(
        "missing bearer token: send Authorization: Bearer <API key or ADMIN_TOKEN>",
      );
    const expected = c.env.ADMIN_TOKEN;
    if (expected && (await constantTimeEqual(given, expected))) {
      c.set("principal", { actor: ADMIN_TOKEN_ACTOR, role: "admin", keyId: null });
      await next();
      return;
    }
    if (!given.startsWith(KEY_PREFIX)) throw unauthorized("invalid bearer token");
    const hash = await sha256Hex(given);
    const row = await findLiveKey(c.var.db, hash);
    // The database found the row by its hash; compare again in constant time all the same.
    if (!row || !(await constantTimeEqual(hash, row.hash))) {
      throw unauthorized("invalid or revoked API key");
    }
    c.set("principal", { actor: row.name, role: row.role as Role, keyId: row.id });
    const touch = lastUsedIsStale(row.lastUsedAt, Date.now())
      ? touchKey(c.var.db, row.id).catch((err: unknown) =>
          log("http:key_touch_failed", { key_id: row.id }, err),
        )
      : null;
    try {
      await next();
    } finally {
      if (touch) await touch;
    }
  };
}
