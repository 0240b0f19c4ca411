/**
 * Failed-auth throttle for `/v1`: a client (by `cf-connecting-ip`; without it, all such
 * clients share one bucket) that failed auth (401) {@link MAX_AUTH_FAILURES} times within
 * {@link AUTH_WINDOW_MS} is answered 429 `rate_limited` until the window ends, valid token or
 * not.
 *
 * Limit: the counter lives in the isolate's memory, so it is per isolate. Requests spread over
 * many isolates (or locations) each get their own allowance, and a restart forgets it; it
 * slows guessing, it does not cap it globally.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./api-env.ts";
import { AppError } from "./errors.ts";

/** Failed attempts allowed per client and window. */
export const MAX_AUTH_FAILURES = 20;
/** The window, in milliseconds, counted from a client's first failure. */
export const AUTH_WINDOW_MS = 60_000;
/** Most clients tracked at once; expired windows are pruned beyond it. */
const MAX_TRACKED = 10_000;

interface Window {
  /** Epoch ms when the window started. */
  start: number;
  failures: number;
}

const windows = new Map<string, Window>();

/** The bucket of a request: its client address, or one shared bucket without it. */
export function clientKey(ip: string | undefined): string {
  return ip?.trim() || "unknown";
}

/** The live window of `key` at `now`, or undefined once expired. */
function current(key: string, now: number): Window | undefined {
  const w = windows.get(key);
  if (w && now - w.start >= AUTH_WINDOW_MS) {
    windows.delete(key);
    return undefined;
  }
  return w;
}

/** True when `key` has used up its failures at `now` (epoch ms). */
export function isLimited(key: string, now: number): boolean {
  return (current(key, now)?.failures ?? 0) >= MAX_AUTH_FAILURES;
}

/** Counts one failed auth of `key` at `now` (epoch ms). */
export function recordFailure(key: string, now: number): void {
  const w = current(key, now);
  if (w) {
    w.failures++;
    return;
  }
  if (windows.size >= MAX_TRACKED) {
    for (const [k, v] of windows) if (now - v.start >= AUTH_WINDOW_MS) windows.delete(k);
    if (windows.size >= MAX_TRACKED) windows.delete(windows.keys().next().value!);
  }
  windows.set(key, { start: now, failures: 1 });
}

/** The middleware: 429 while limited; counts every 401 answered below it. */
export function authFailureLimit(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = clientKey(c.req.header("cf-connecting-ip"));
    if (isLimited(key, Date.now())) {
      throw new AppError(
        429,
        "rate_limited",
        `too many failed sign-ins: try again within ${AUTH_WINDOW_MS / 1000} s`,
      );
    }
    await next();
    if (c.res.status === 401) recordFailure(key, Date.now());
  };
}
