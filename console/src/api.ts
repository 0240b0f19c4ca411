/**
 * The console's only way to the server: same-origin `fetch` with the session cookie and the
 * CSRF header every change needs (src/http/session.ts). A 401 anywhere means the session has
 * ended (signed out, expired, key revoked): listeners bring back the sign-in.
 */
import type { BootRequest } from "./boot.ts";

/** An error answer of the API (`{"error": {"code", "message"}}`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

const unauthorizedListeners = new Set<() => void>();

/** Calls `fn` whenever a request answers 401; returns the unsubscribe function. */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/** The headers of every request. */
export const BASE_HEADERS = { "x-requested-with": "drawdown-sentinel" } as const;

/** A raw request (for downloads); throws {@link ApiError} on a non-2xx answer. */
export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { ...BASE_HEADERS };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return checked(res, path);
}

/** `res` itself when it is a 2xx answer; else throws {@link ApiError} (and signals a 401). */
export async function checked(res: Response, path: string): Promise<Response> {
  if (!res.ok) {
    let code = "http_" + res.status;
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const parsed = (await res.json()) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // not JSON
    }
    if (res.status === 401 && path !== "/v1/session") unauthorizedListeners.forEach((fn) => fn());
    throw new ApiError(res.status, code, message);
  }
  return res;
}

/**
 * The answer of a request index.html started before the bundle loaded, if it is still
 * unclaimed and successful (each is used once: later loads go to the server again).
 */
export async function takeBoot<T>(name: BootRequest): Promise<T | null> {
  const boot = (window as unknown as { __boot?: Record<string, Promise<Response> | null> }).__boot;
  const pending = boot?.[name];
  if (!boot || !pending) return null;
  boot[name] = null;
  const res = await pending.catch(() => null);
  // Anything but a success (signed out when it was sent, ...) is asked again, normally.
  if (!res?.ok) return null;
  return (await res.json()) as T;
}

/** A JSON request; resolves with the parsed answer (undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** GET `path`. */
export const get = <T>(path: string): Promise<T> => api<T>("GET", path);

/** GET `path`, or null when the server has no such endpoint (404) yet. */
export async function getOptional<T>(path: string): Promise<T | null> {
  try {
    return await get<T>(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  }
}

/** A query string from the defined values of `params` (leading `?`, or empty). */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
