import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_AUTH_FAILURES } from "../../../src/http/auth-limit.ts";
import worker from "../../../src/index.ts";
import { ADMIN_TOKEN, api, expectError } from "./helpers.ts";

/** A request straight to the Worker with `ADMIN_TOKEN` set to `adminToken`. */
async function withAdminToken(adminToken: string, path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://sentinel.test${path}`, { headers: { authorization: `Bearer ${token}` } }),
    { ...env, ADMIN_TOKEN: adminToken },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

describe("ADMIN_TOKEN length", () => {
  it("answers 500 misconfigured to every /v1 request while ADMIN_TOKEN is shorter than 24 characters, the short token included", async () => {
    const short = "x".repeat(23);
    for (const path of ["/v1/accounts", "/v1/session", "/v1/monitor"]) {
      const res = await withAdminToken(short, path, short);
      expect(res.status, path).toBe(500);
      expectError(res.body, "misconfigured");
      expect(res.body.error.message).toContain("ADMIN_TOKEN");
    }
    const ok = await withAdminToken("y".repeat(24), "/v1/accounts?limit=1", "y".repeat(24));
    expect(ok.status).toBe(200);
  });

  it("runs the tests with a token of at least 24 characters", () => {
    expect(ADMIN_TOKEN.length).toBeGreaterThanOrEqual(24);
  });
});

describe("failed-auth throttle", () => {
  it("answers 429 rate_limited to a client after 20 failed auths in a minute, even with the right token, and only to that client", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const as = (from: string, token: string | null = "wrong-token") =>
      api("GET", "/v1/accounts?limit=1", { token, headers: { "cf-connecting-ip": from } });
    for (let i = 0; i < MAX_AUTH_FAILURES; i++) expect((await as(ip)).status).toBe(401);
    const limited = await as(ip);
    expect(limited.status).toBe(429);
    expectError(limited.body, "rate_limited");
    expect((await as(ip, ADMIN_TOKEN)).status).toBe(429);
    // Another client is not affected.
    expect((await as("203.0.113.9", ADMIN_TOKEN)).status).toBe(200);
  });
});
