import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  SESSION_COOKIE,
  newSessionId,
  sha256Hex,
  signSession,
} from "../../../src/http/session-cookie.ts";
import { ADMIN_TOKEN, BASE, api, expectError } from "./helpers.ts";

const CSRF = { "x-requested-with": "drawdown-sentinel" };

/** Signs in with `key` and answers the response. */
async function signIn(key: string, headers: Record<string, string> = CSRF) {
  return exports.default.fetch(`${BASE}/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ key }),
  });
}

/** The `name=value` of the session cookie a response set. */
function cookieOf(res: Response): string {
  const header = res.headers.get("set-cookie") ?? "";
  const match = new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(header);
  if (!match) throw new Error(`no session cookie in ${header}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

describe("console session", () => {
  it("exchanges the admin token for an HttpOnly SameSite=Strict cookie of 12 hours", async () => {
    const res = await signIn(ADMIN_TOKEN);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ role: "admin", name: "admin-token" });
    const header = res.headers.get("set-cookie") ?? "";
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/SameSite=Strict/i);
    expect(header).toMatch(/Max-Age=43200/);
    // Local http: not Secure (a browser would drop it); the key itself is not in the cookie.
    expect(header).not.toMatch(/Secure/i);
    expect(header).not.toContain(ADMIN_TOKEN);
  });

  it("marks the cookie Secure over https", async () => {
    const res = await exports.default.fetch("https://sentinel.test/v1/session", {
      method: "POST",
      headers: { "content-type": "application/json", ...CSRF },
      body: JSON.stringify({ key: ADMIN_TOKEN }),
    });
    expect(res.headers.get("set-cookie")).toMatch(/Secure/i);
  });

  it("refuses a wrong key with 401 and sets no cookie", async () => {
    const res = await signIn(`${ADMIN_TOKEN}x`);
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a sign-in without the CSRF header or from another origin with 403", async () => {
    expect((await signIn(ADMIN_TOKEN, {})).status).toBe(403);
    const cross = await signIn(ADMIN_TOKEN, { ...CSRF, origin: "https://evil.example" });
    expect(cross.status).toBe(403);
  });

  it("names the field of a sign-in body without a key", async () => {
    const res = await api("POST", "/v1/session", { json: {}, token: null, headers: CSRF });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("key");
  });

  it("lets the cookie read the API and tells the role", async () => {
    const cookie = cookieOf(await signIn(ADMIN_TOKEN));
    const list = await api("GET", "/v1/accounts?limit=1", { token: null, headers: { cookie } });
    expect(list.status).toBe(200);
    const who = await api("GET", "/v1/session", { token: null, headers: { cookie } });
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ role: "admin", name: "admin-token" });
    expect(Date.parse(who.body.expires_at)).toBeGreaterThan(Date.now() + 11 * 3600_000);
  });

  it("refuses a cookie-authenticated change without the CSRF header, allows it with", async () => {
    const cookie = cookieOf(await signIn(ADMIN_TOKEN));
    const bare = await api("POST", "/v1/poll", {
      json: { account_ids: [2_000_000_000] },
      token: null,
      headers: { cookie },
    });
    expect(bare.status).toBe(403);
    expectError(bare.body, "forbidden");
    const cross = await api("POST", "/v1/poll", {
      json: { account_ids: [2_000_000_000] },
      token: null,
      headers: { cookie, ...CSRF, origin: "https://evil.example" },
    });
    expect(cross.status).toBe(403);
    const ok = await api("POST", "/v1/poll", {
      json: { account_ids: [2_000_000_000] },
      token: null,
      headers: { cookie, ...CSRF, origin: BASE },
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a tampered, expired or foreign-key cookie with 401", async () => {
    const cookie = cookieOf(await signIn(ADMIN_TOKEN));
    const tampered = cookie.slice(0, -2) + (cookie.endsWith("A") ? "BB" : "AA");
    const secret = env.SESSION_SECRET!;
    const expired = `${SESSION_COOKIE}=${await signSession(secret, {
      sid: newSessionId(),
      keyHash: await sha256Hex(ADMIN_TOKEN),
      exp: Math.floor(Date.now() / 1000) - 1,
    })}`;
    // Signed correctly, but for a key that is not (or no longer) valid: a revoked key.
    const revoked = `${SESSION_COOKIE}=${await signSession(secret, {
      sid: newSessionId(),
      keyHash: await sha256Hex("a-revoked-key"),
      exp: Math.floor(Date.now() / 1000) + 3600,
    })}`;
    for (const c of [tampered, expired, revoked]) {
      const res = await api("GET", "/v1/accounts?limit=1", { token: null, headers: { cookie: c } });
      expect(res.status).toBe(401);
      expect(
        (await api("GET", "/v1/session", { token: null, headers: { cookie: c } })).status,
      ).toBe(401);
    }
  });

  it("signs out by clearing the cookie", async () => {
    const res = await api("DELETE", "/v1/session", { token: null, headers: CSRF });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(
      new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`, "i"),
    );
  });

  it("answers GET /v1/session for a bearer token too", async () => {
    const res = await api("GET", "/v1/session");
    expect(res.body).toMatchObject({ role: "admin", expires_at: null });
    expect((await api("GET", "/v1/session", { token: "nope" })).status).toBe(401);
    expect(env.ADMIN_TOKEN).toBe(ADMIN_TOKEN);
  });
});
