/**
 * The Low list of "Trust" (docs/security.md): the last admin key, reserved actor look-alikes,
 * the filters of accounts.csv, the per-key export cap, security headers, webhook reasons and
 * the audited poll. Each test fails on the code before its fix.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { exportSlot } from "../../../src/http/exports.ts";
import { openApiBuilds } from "../../../src/http/app.ts";
import { withTestDb } from "../helpers.ts";
import { accounts } from "../../../src/db/schema.ts";
import { eq } from "drizzle-orm";
import { api, createKey, createViaApi } from "../api/helpers.ts";
import { deleteAllEndpoints } from "../alerts/sink-helpers.ts";

async function auditItems(action: string) {
  const res = await api("GET", `/v1/audit?action=${action}&limit=200`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items as Array<{ actor: string; reason: string | null; after: unknown }>;
}

describe("API keys", () => {
  it("keep the last admin key while ADMIN_TOKEN is unset (409), and let it go when another exists", async () => {
    const noToken = { ...env, ADMIN_TOKEN: undefined } as unknown as Env;
    // Revoke every live admin key but one, as the admin token.
    const listed = await api("GET", "/v1/keys");
    for (const k of listed.body.items as Array<{ id: number; role: string }>)
      if (k.role === "admin") await api("DELETE", `/v1/keys/${k.id}`);
    const only = await createKey("admin");
    const self = await api("DELETE", `/v1/keys/${only.id}`, { token: only.key, env: noToken });
    expect(self.status).toBe(409);
    expect((await api("GET", "/v1/session", { token: only.key, env: noToken })).status).toBe(200);
    const second = await createKey("admin");
    const now = await api("DELETE", `/v1/keys/${only.id}`, { token: second.key, env: noToken });
    expect(now.status).toBe(204);
  });

  it("refuse reserved actor names in any case or with look-alike letters", async () => {
    for (const name of [
      "Admin-Token",
      "ADMIN_TOKEN",
      "аdmin-token",
      "Monitor",
      "p0ller",
      "ALERTS",
    ]) {
      const res = await api("POST", "/v1/keys", { json: { name, role: "viewer" } });
      expect(res.status, name).toBe(400);
    }
    expect(
      (await api("POST", "/v1/keys", { json: { name: "monitoring-desk", role: "viewer" } })).status,
    ).toBe(201);
  });
});

describe("exports", () => {
  it("accounts.csv honours q and preset like the list", async () => {
    const tag = `csvq${crypto.randomUUID().slice(0, 8)}`;
    const a = await createViaApi({
      label: `${tag} one`,
      rules: { preset: "ftmo-2step", initial_balance: 100_000 },
    });
    const b = await createViaApi({
      label: `${tag} two`,
      rules: { preset: "ftmo-1step", initial_balance: 100_000 },
    });
    const byQ = await api("GET", `/v1/accounts.csv?q=${tag}`);
    expect(byQ.status).toBe(200);
    const rows = (byQ.body as string).trim().split("\r\n").slice(1);
    expect(rows.map((r) => Number(r.split(",")[0])).sort()).toEqual(
      [a.account.id, b.account.id].sort(),
    );
    const byPreset = await api("GET", `/v1/accounts.csv?q=${tag}&preset=ftmo-1step`);
    const presetRows = (byPreset.body as string).trim().split("\r\n").slice(1);
    expect(presetRows.map((r) => Number(r.split(",")[0]))).toEqual([b.account.id]);
  });
});

describe("accounts.csv order", () => {
  it("honours sort=usage_desc like the list, across pages of the export", async () => {
    const tag = `csvs${crypto.randomUUID().slice(0, 8)}`;
    const usages = [12, 97, 40, 0, 63];
    const ids: number[] = [];
    for (const [i, usage] of usages.entries()) {
      const { account } = await createViaApi({ label: `${tag} ${i}` });
      ids.push(account.id);
      const metrics = {
        balance: 100_000,
        equity: 100_000,
        day_start: 100_000,
        hwm: 100_000,
        daily_floor: 95_000,
        max_floor: 90_000,
        usage: { daily: usage, max: usage, overall: usage },
        trading_day: "2026-12-06",
        updated_at: "2026-12-06T10:00:00.000Z",
        source: "poll" as const,
      };
      await withTestDb((db) =>
        db.update(accounts).set({ metrics }).where(eq(accounts.id, account.id)),
      );
    }
    const list = await api("GET", `/v1/accounts?q=${tag}&sort=usage_desc`);
    const listed = list.body.items.map((a: { id: number }) => a.id);
    const csv = await api("GET", `/v1/accounts.csv?q=${tag}&sort=usage_desc`);
    expect(csv.status).toBe(200);
    const rows = (csv.body as string).trim().split("\r\n").slice(1);
    const exported = rows.map((r) => Number(r.split(",")[0]));
    expect(exported).toEqual(listed);
    // Highest usage first (97, 63, 40, 12, 0): not the id order the export had before.
    expect(exported).toEqual([ids[1], ids[4], ids[2], ids[0], ids[3]]);
    const byId = await api("GET", `/v1/accounts.csv?q=${tag}`);
    const idRows = (byId.body as string).trim().split("\r\n").slice(1);
    expect(idRows.map((r) => Number(r.split(",")[0]))).toEqual([...ids].reverse());
  });
});

describe("the OpenAPI document", () => {
  it("is built once per isolate, served with an ETag, and revalidated with a 304", async () => {
    const first = await api("GET", "/openapi.json", { token: null });
    expect(first.status).toBe(200);
    const builds = openApiBuilds();
    expect(builds).toBe(1);
    for (let i = 0; i < 3; i++) {
      const again = await api("GET", "/openapi.json", { token: null });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    }
    expect(openApiBuilds()).toBe(builds);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.headers.get("cache-control")).toContain("max-age=");
    const revalidated = await api("GET", "/openapi.json", {
      token: null,
      headers: { "if-none-match": etag! },
    });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBeNull();
    expect(openApiBuilds()).toBe(builds);
  });
});

describe("the export cap", () => {
  it("lets one key stream at most 2 exports at once (429), and frees a slot when one ends", async () => {
    const a = exportSlot("cap-test-key");
    const b = exportSlot("cap-test-key");
    expect(() => exportSlot("cap-test-key")).toThrow(/at most 2 exports/);
    // Another key has its own slots.
    const other = exportSlot("cap-test-other");
    await a();
    await a(); // giving a slot back twice frees it once
    const c = exportSlot("cap-test-key");
    expect(() => exportSlot("cap-test-key")).toThrow();
    await Promise.all([b(), c(), other()]);
    // Through the API: a held slot makes the third export of the same key a 429.
    const viewer = await createKey("viewer");
    const held = [exportSlot(viewer.name), exportSlot(viewer.name)];
    const refused = await api("GET", "/v1/accounts.csv", { token: viewer.key });
    expect(refused.status).toBe(429);
    await Promise.all(held.map((r) => r()));
    expect((await api("GET", "/v1/accounts.csv", { token: viewer.key })).status).toBe(200);
  });
});

describe("security headers", () => {
  it("come with every answer of the API", async () => {
    for (const path of ["/health", "/v1/accounts?limit=1", "/openapi.json", "/v1/nope"]) {
      const res = await api("GET", path);
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("strict-transport-security"), path).toContain("max-age=");
    }
  });
});

describe("audited changes", () => {
  it("keeps a webhook change's reason, and audits POST /v1/poll with its actor", async () => {
    const created = await api("POST", "/v1/webhooks", {
      json: { url: "https://crm.example.com/hook", events: ["*"], reason: "ticket 41" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const patched = await api("PATCH", `/v1/webhooks/${created.body.id}`, {
      json: { description: "CRM", reason: "ticket 42" },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const removed = await api("DELETE", `/v1/webhooks/${created.body.id}?reason=ticket%2043`);
    expect(removed.status).toBe(204);
    const reasons = [
      ...(await auditItems("webhook.created")),
      ...(await auditItems("webhook.updated")),
      ...(await auditItems("webhook.deleted")),
    ].map((i) => i.reason);
    expect(reasons).toEqual(expect.arrayContaining(["ticket 41", "ticket 42", "ticket 43"]));
    await deleteAllEndpoints();

    const operator = await createKey("operator");
    const polled = await api("POST", "/v1/poll", {
      token: operator.key,
      json: { account_ids: [2_000_000_001], reason: "checking a dispute" },
    });
    expect(polled.status, JSON.stringify(polled.body)).toBe(200);
    const polls = await auditItems("poll.requested");
    expect(polls.find((p) => p.actor === operator.name)).toMatchObject({
      reason: "checking a dispute",
      after: { account_ids: [2_000_000_001] },
    });
  });
});
