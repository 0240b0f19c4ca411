/**
 * The bootstrap `ADMIN_TOKEN` must be long enough not to be guessed: a Worker configured with
 * one shorter than {@link MIN_ADMIN_TOKEN_LENGTH} characters refuses every `/v1` request with
 * a 500 `misconfigured` (it never accepts the short token, nor anything else, until fixed).
 * Unset, the Worker accepts API keys only (src/http/auth.ts).
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./api-env.ts";
import { AppError } from "./errors.ts";

/** The least length of `ADMIN_TOKEN`, in characters. */
export const MIN_ADMIN_TOKEN_LENGTH = 24;

/** Why `token` is refused, or null when it is fine (or unset). */
export function adminTokenProblem(token: string | undefined): string | null {
  if (!token) return null;
  return token.length < MIN_ADMIN_TOKEN_LENGTH
    ? `ADMIN_TOKEN is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: set a longer secret`
    : null;
}

/** Answers 500 `misconfigured` to every request while `ADMIN_TOKEN` is too short. */
export function requireSafeAdminToken(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const problem = adminTokenProblem(c.env.ADMIN_TOKEN);
    if (problem) throw new AppError(500, "misconfigured", problem);
    await next();
  };
}
