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

/** The window, ms. */
export const SHARED_WINDOW_MS = 60_000;
/** Requests per client per window (the page polls once a second; several tabs fit). */
export const SHARED_PER_CLIENT = 600;
/** Requests per token per window, all clients together. */
export const SHARED_PER_TOKEN = 600;
/** Look-ups of unknown tokens per client per window. */
export const SHARED_MISSES_PER_CLIENT = 30;
const MAX_TRACKED = 10_000;

/** Fixed-window counters by key. */
export class WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** The count of `key` in its window at `now` (0 once expired). */
  count(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) return 0;
    return w.count;
  }

  /** True when `key` has used its allowance at `now`. */
  full(key: string, now: number): boolean {
    return this.count(key, now) >= this.limit;
  }

  /** Counts one for `key` at `now`. */
  add(key: string, now: number): void {
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) {
      w.count++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED) {
      for (const [k, v] of this.windows) if (now - v.start >= this.windowMs) this.windows.delete(k);
      if (this.windows.size >= MAX_TRACKED) this.windows.delete(this.windows.keys().next().value!);
    }
    this.windows.set(key, { start: now, count: 1 });
  }

  /** Seconds until `key`'s window ends at `now`. */
  retryAfterS(key: string, now: number): number {
    const w = this.windows.get(key);
    return w ? Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) : 1;
  }

  /** Forgets every key (tests). */
  clear(): void {
    this.windows.clear();
  }
}

export const perClient = new WindowCounter(SHARED_PER_CLIENT, SHARED_WINDOW_MS);
export const perToken = new WindowCounter(SHARED_PER_TOKEN, SHARED_WINDOW_MS);
export const missesPerClient = new WindowCounter(SHARED_MISSES_PER_CLIENT, SHARED_WINDOW_MS);

function limited(counter: WindowCounter, key: string, now: number): AppError {
  const after = counter.retryAfterS(key, now);
  return new AppError(429, "rate_limited", `too many requests: try again in ${after} s`, {
    retry_after_s: after,
  });
}

/** The token of a shared path (`/t/<token>`, `/v1/shared/<token>/...`), or "". */
export function tokenOfPath(path: string): string {
  const m = /^\/(?:t|v1\/shared)\/([^/]*)/.exec(path);
  return m ? m[1]! : "";
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
