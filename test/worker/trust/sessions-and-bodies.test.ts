/**
 * Findings 5 and 8 of "Trust" (docs/security.md): the cookie key was derived from
 * ADMIN_TOKEN (a viewer's cookie let them guess a weak token offline), signing out left the
 * session valid on the server, and no body was limited before it was parsed.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  SESSION_COOKIE,
  newSessionId,
  sha256Hex,
  signSession,
} from "../../../src/http/session-cookie.ts";
import { ADMIN_TOKEN, BASE, api, expectError, newAccountBody } from "../api/helpers.ts";

const CSRF = { "x-requested-with": "drawdown-sentinel" };

/** A deployed Worker's settings: no SESSION_SECRET, not a local run. */
const deployed = { ...env, SESSION_SECRET: undefined, ALLOW_LOOPBACK_WEBHOOKS: undefined } as Env;

function cookieOf(res: { headers: Headers }): string {
  const match = new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(res.headers.get("set-cookie") ?? "");
  if (!match) throw new Error("no session cookie");
  return `${SESSION_COOKIE}=${match[1]}`;
}

describe("console sessions", () => {
  it("are not issued by a deployed Worker without SESSION_SECRET (503 misconfigured)", async () => {
    const res = await api("POST", "/v1/session", {
      json: { key: ADMIN_TOKEN },
      token: null,
      headers: CSRF,
      env: deployed,
    });
    expect(res.status).toBe(503);
    expectError(res.body, "misconfigured");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("never take a cookie signed with a key derived from ADMIN_TOKEN", async () => {
    for (const secret of [`session-v1:${ADMIN_TOKEN}`, ADMIN_TOKEN]) {
      const cookie = `${SESSION_COOKIE}=${await signSession(secret, {
        sid: newSessionId(),
        keyHash: await sha256Hex(ADMIN_TOKEN),
        exp: Math.floor(Date.now() / 1000) + 3600,
      })}`;
      for (const e of [env, deployed]) {
        const res = await api("GET", "/v1/accounts?limit=1", {
          token: null,
          headers: { cookie },
          env: e,
        });
        expect(res.status).toBe(401);
      }
    }
  });

  it("end on the server at sign-out: the same cookie no longer reads anything", async () => {
    const signedIn = await api("POST", "/v1/session", {
      json: { key: ADMIN_TOKEN },
      token: null,
      headers: CSRF,
    });
    expect(signedIn.status).toBe(200);
    const cookie = cookieOf(signedIn);
    const read = () => api("GET", "/v1/accounts?limit=1", { token: null, headers: { cookie } });
    expect((await read()).status).toBe(200);
    const out = await api("DELETE", "/v1/session", { token: null, headers: { cookie, ...CSRF } });
    expect(out.status).toBe(204);
    // A copy of the cookie kept by the browser, a proxy or a thief: refused.
    expect((await read()).status).toBe(401);
    expect((await api("GET", "/v1/session", { token: null, headers: { cookie } })).status).toBe(
      401,
    );
  });
});

describe("request bodies", () => {
  const big = JSON.stringify({ key: "x".repeat(2 * 1024 * 1024) });

  it("are refused above 1 MiB before they are parsed, signed in or not (413 payload_too_large)", async () => {
    for (const call of [
      { path: "/v1/session", token: null, headers: CSRF },
      { path: "/v1/accounts", token: null, headers: {} },
      { path: "/v1/accounts", token: ADMIN_TOKEN, headers: {} },
      { path: "/v1/webhooks", token: ADMIN_TOKEN, headers: {} },
    ]) {
      const res = await api("POST", call.path, {
        raw: big,
        token: call.token,
        headers: call.headers,
      });
      expect(res.status, call.path).toBe(413);
      expectError(res.body, "payload_too_large");
    }
  });

  it("are counted as they stream in when no Content-Length is given", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 40 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await exports.default.fetch(`${BASE}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", ...CSRF },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    // Refused soon after the limit, not after the whole 40 MiB.
    expect(sent).toBeLessThan(4 * 1024 * 1024);
  });

  it("up to the limit are read as before", async () => {
    const res = await api("POST", "/v1/accounts", {
      json: newAccountBody({ label: "y".repeat(100) }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });
});
