/** Helpers for the admin API tests: requests through the Worker's own fetch handler. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../../src/index.ts";
import { expect } from "vitest";
import { sim, uniqueIds } from "../helpers.ts";

/** The token vitest.config.ts gives the Worker (importing the config would pull in Node code). */
export const ADMIN_TOKEN = env.ADMIN_TOKEN;

export const BASE = "http://sentinel.test";

export interface ApiCall {
  /** A value to send as JSON. */
  json?: unknown;
  /** A raw body, sent as is (with `Content-Type: application/json` unless `headers` say otherwise). */
  raw?: string;
  /** The bearer token; `null` sends no Authorization header. Default: the admin token. */
  token?: string | null;
  headers?: Record<string, string>;
  /** The Worker's env for this call (default: the test env), e.g. with other vars. */
  env?: Env;
}

/** An answer: the status, the parsed JSON body (null when empty) and the headers. */
export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A request to the Worker through its own fetch handler; returns once its background work is done. */
export async function api<T = any>(
  method: string,
  path: string,
  call: ApiCall = {},
): Promise<ApiAnswer<T>> {
  // Each call is its own client unless it says otherwise: the failed-auth throttle
  // (src/http/auth-limit.ts) counts per client address, and tests send many 401s on purpose.
  const headers: Record<string, string> = { "cf-connecting-ip": crypto.randomUUID() };
  const token = call.token === undefined ? ADMIN_TOKEN : call.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (call.json !== undefined) body = JSON.stringify(call.json);
  if (call.raw !== undefined) body = call.raw;
  if (body !== undefined) headers["content-type"] = "application/json";
  Object.assign(headers, call.headers);
  // Through the Worker's handler with an execution context the test waits on: work a
  // request leaves running in the background (a sweep, closing its pool) ends with the call.
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}${path}`, { method, headers, body }),
    call.env ?? env,
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  // JSON answers parsed; others (CSV exports) as text.
  const json = (res.headers.get("content-type") ?? "").includes("json");
  const parsed = text ? (json ? JSON.parse(text) : text) : null;
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Asserts the API's error shape with `code`. */
export function expectError(body: unknown, code: string): void {
  expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(body).toHaveProperty("error.details");
}

/** A create-account body with a unique login and server. */
export function newAccountBody(overrides: Record<string, unknown> = {}) {
  const ids = uniqueIds();
  return {
    login: ids.login,
    server: ids.server,
    session_id: ids.session_id,
    label: "api test",
    rules: { preset: "ftmo-2step", initial_balance: 100_000 },
    ...overrides,
  };
}

/** Creates an account through the API; returns its JSON and the unmasked session id. */
export async function createViaApi(overrides: Record<string, unknown> = {}) {
  const body = newAccountBody(overrides);
  const res = await api("POST", "/v1/accounts", { json: body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { account: res.body, sessionId: body.session_id as string, input: body };
}

/** Puts an API-created account into the simulator with the given figures (no random walk). */
export async function addToSim(
  created: { account: { id: number; login: string; server: string }; sessionId: string },
  figures: { balance: number; equity?: number },
): Promise<void> {
  await sim("/accounts", {
    login: created.account.login,
    server: created.account.server,
    session_id: created.sessionId,
    balance: figures.balance,
    equity: figures.equity ?? figures.balance,
    account_id: created.account.id,
    walk: false,
  });
}

/** The account ids the live monitor lists in `GET /v1/monitor/subscriptions`. */
export async function subscribedIds(): Promise<number[]> {
  const res = await api("GET", "/v1/monitor/subscriptions");
  expect(res.status).toBe(200);
  return res.body.items.map((s: { account_id: number }) => s.account_id);
}

/** Creates an API key with `role` through the API (as the admin token); returns its answer. */
export async function createKey(
  role: "viewer" | "operator" | "admin",
  name = `${role}-${crypto.randomUUID().slice(0, 8)}`,
): Promise<{ id: number; name: string; role: string; key: string; prefix: string }> {
  const res = await api("POST", "/v1/keys", { json: { name, role } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
