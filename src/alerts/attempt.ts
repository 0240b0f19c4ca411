/**
 * One HTTP attempt of one delivery, and what follows from its answer. The fetch is injected
 * (the Worker's own in production). Any 2xx within {@link ATTEMPT_TIMEOUT_MS} is delivered;
 * anything else (another status, a redirect, a timeout, a network error) is a failure.
 */
import { maskUrl } from "./url-policy.ts";
import { ATTEMPT_TIMEOUT_MS, afterFailure } from "./schedule.ts";

export interface AttemptResult {
  ok: boolean;
  /** HTTP status; null without an answer. */
  statusCode: number | null;
  /** Why it failed; null on success. Never contains the URL's credentials. */
  error: string | null;
  /** ms. */
  durationMs: number;
}

/** Posts `body` to `url`; resolves (never rejects) with the result. */
export async function attemptDelivery(
  fetcher: typeof fetch,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number = ATTEMPT_TIMEOUT_MS,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetcher(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => {});
    const ok = res.status >= 200 && res.status < 300;
    return {
      ok,
      statusCode: res.status,
      error: ok ? null : `HTTP ${res.status}`,
      durationMs: elapsed(),
    };
  } catch (err) {
    const timedOut =
      err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const message = timedOut
      ? `timeout after ${timeoutMs / 1000} s`
      : err instanceof Error
        ? err.message
        : String(err);
    // Some runtimes quote the URL in network errors: never let its credentials out.
    return {
      ok: false,
      statusCode: null,
      error: message.replaceAll(url, maskUrl(url)).slice(0, 500),
      durationMs: elapsed(),
    };
  }
}

/** A delivery's next state after an attempt. */
export type Next =
  | { status: "delivered" }
  | { status: "pending"; at: number; delayS: number }
  | { status: "failed" };

/** The delivery's next state after attempt number `attempts` (1-based). */
export function nextState(ok: boolean, attempts: number, firstAt: number, now: number): Next {
  if (ok) return { status: "delivered" };
  const after = afterFailure(attempts, firstAt, now);
  return after.retry
    ? { status: "pending", at: after.at, delayS: after.delayS }
    : { status: "failed" };
}
