/**
 * Rate limits of the shared (trader) endpoints, `/v1/shared/*` and `/t/*` (docs/trader-page.md):
 * per client (by `cf-connecting-ip`) and per token, in fixed windows of {@link SHARED_WINDOW_MS};
 * a client's failed look-ups (404s: guessing) have a much smaller allowance. Over a limit: 429
 * `rate_limited` with `Retry-After`.
 *
 * Limit: like the failed-auth throttle (auth-limit.ts) the counters live in the isolate's
 * memory, so they are per isolate; they slow a client down, they do not cap it globally.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./api-env.ts";
import { clientKey } from "./auth-limit.ts";
import { AppError } from "./errors.ts";
import { WindowCounter, tokenOfPath } from "./window-counter.ts";

export { WindowCounter, tokenOfPath };

/** The window, ms. */
export const SHARED_WINDOW_MS = 60_000;
/** Requests per client per window (the page polls once a second; several tabs fit). */
export const SHARED_PER_CLIENT = 600;
/** Requests per token per window, all clients together. */
export const SHARED_PER_TOKEN = 600;
/** Look-ups of unknown tokens per client per window. */
export const SHARED_MISSES_PER_CLIENT = 30;

export const perClient = new WindowCounter(SHARED_PER_CLIENT, SHARED_WINDOW_MS);
export const perToken = new WindowCounter(SHARED_PER_TOKEN, SHARED_WINDOW_MS);
export const missesPerClient = new WindowCounter(SHARED_MISSES_PER_CLIENT, SHARED_WINDOW_MS);

function limited(counter: WindowCounter, key: string, now: number): AppError {
  const after = counter.retryAfterS(key, now);
  return new AppError(429, "rate_limited", `too many requests: try again in ${after} s`, {
    retry_after_s: after,
  });
}

/**
 * The middleware of the shared paths: 429 when the client or the token is over its allowance,
 * or the client has missed too often; counts the request, and a 404 answered below it as a
 * miss. The token is counted under its first 16 characters (no need to keep whole tokens in
 * memory).
 */
export function sharedLimit(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const now = Date.now();
    const client = clientKey(c.req.header("cf-connecting-ip"));
    const token = `t:${tokenOfPath(c.req.path).slice(0, 16)}`;
    for (const [counter, key] of [
      [missesPerClient, client],
      [perClient, client],
      [perToken, token],
    ] as const) {
      if (counter.full(key, now)) {
        const err = limited(counter, key, now);
        c.header("retry-after", String(counter.retryAfterS(key, now)));
        throw err;
      }
    }
    perClient.add(client, now);
    perToken.add(token, now);
    await next();
    if (c.res.status === 404) missesPerClient.add(client, Date.now());
  };
}
