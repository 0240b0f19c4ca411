import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys } from "../../../src/db/schema.ts";
import { sha256Hex } from "../../../src/http/key-store.ts";
import { withTestDb } from "../helpers.ts";
import { api, createKey, createViaApi, expectError } from "./helpers.ts";

async function keyRow(id: number) {
  const [row] = await withTestDb((db) => db.select().from(apiKeys).where(eq(apiKeys.id, id)));
  return row!;
}

describe("POST/GET/DELETE /v1/keys", () => {
  it("shows a new key once, stores only its hash, and lists it without the secret", async () => {
    const created = await api("POST", "/v1/keys", {
      json: {
        name: `dash-${crypto.randomUUID().slice(0, 6)}`,
        role: "viewer",
        reason: "dashboard",
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(Number),
      role: "viewer",
      key: expect.stringMatching(/^sk_[A-Za-z0-9_-]{43}$/),
      prefix: created.body.key.slice(0, 7),
      created_at: expect.stringMatching(/Z$/),
      created_by: "admin-token",
    });
    const row = await keyRow(created.body.id);
    expect(row.hash).toBe(await sha256Hex(created.body.key));
    expect(JSON.stringify(row)).not.toContain(created.body.key);

    const list = await api("GET", "/v1/keys");
    expect(list.status).toBe(200);
    const mine = list.body.items.find((k: { id: number }) => k.id === created.body.id);
    expect(mine).toEqual({
      id: created.body.id,
      name: created.body.name,
      role: "viewer",
      prefix: created.body.prefix,
      created_at: created.body.created_at,
      created_by: "admin-token",
      last_used_at: null,
    });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  it("refuses a revoked key at once with 401, and answers 204 to revoking it again", async () => {
    const key = await createKey("admin");
    expect((await api("GET", "/v1/keys", { token: key.key })).status).toBe(200);
    const revoked = await api("DELETE", `/v1/keys/${key.id}?reason=left%20the%20desk`);
    expect(revoked.status).toBe(204);
    const after = await api("GET", "/v1/accounts", { token: key.key });
    expect(after.status).toBe(401);
    expectError(after.body, "unauthorized");
    expect((await api("DELETE", `/v1/keys/${key.id}`)).status).toBe(204);
    const list = await api("GET", "/v1/keys");
    expect(list.body.items.map((k: { id: number }) => k.id)).not.toContain(key.id);
    // The name is free again.
    await createKey("viewer", key.name);
  });

  it("answers 409 naming the field for a name a live key has, 404 for an unknown key id", async () => {
    const key = await createKey("viewer");
    const dup = await api("POST", "/v1/keys", { json: { name: key.name, role: "admin" } });
    expect(dup.status).toBe(409);
    expectError(dup.body, "conflict");
    expect(dup.body.error.details[0].path).toBe("name");
    const unknown = await api("DELETE", "/v1/keys/2147483647");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.details[0].path).toBe("id");
  });

  it("writes last_used_at on first use and not again within the minute", async () => {
    const key = await createKey("viewer");
    expect((await keyRow(key.id)).lastUsedAt).toBeNull();
    expect((await api("GET", "/v1/accounts?limit=1", { token: key.key })).status).toBe(200);
    const first = (await keyRow(key.id)).lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    for (let i = 0; i < 3; i++) {
      expect((await api("GET", "/v1/accounts?limit=1", { token: key.key })).status).toBe(200);
    }
    expect((await keyRow(key.id)).lastUsedAt).toEqual(first);
    // Stale by more than a minute: the next request writes it again.
    const old = new Date(Date.now() - 120_000);
    await withTestDb((db) =>
      db.update(apiKeys).set({ lastUsedAt: old }).where(eq(apiKeys.id, key.id)),
    );
    expect((await api("GET", "/v1/accounts?limit=1", { token: key.key })).status).toBe(200);
    expect((await keyRow(key.id)).lastUsedAt!.getTime()).toBeGreaterThan(old.getTime());
  });

  it("refuses an unknown sk_ key and a token that is neither with 401", async () => {
    for (const token of ["sk_nothing-like-a-real-key", "not-a-key"]) {
      const res = await api("GET", "/v1/accounts", { token });
      expect(res.status).toBe(401);
      expectError(res.body, "unauthorized");
    }
  });
});

describe("roles", () => {
  it("lets a viewer read everything and change nothing", async () => {
    const viewer = await createKey("viewer");
    const { account } = await createViaApi();
    const as = { token: viewer.key };
    for (const path of [
      "/v1/accounts",
      `/v1/accounts/${account.id}`,
      `/v1/accounts/${account.id}/rules`,
      `/v1/accounts/${account.id}/violations`,
      `/v1/accounts/${account.id}/equity`,
      "/v1/violations",
      "/v1/audit",
      "/v1/monitor",
      "/v1/monitor/subscriptions",
    ]) {
      expect((await api("GET", path, as)).status, path).toBe(200);
    }
    const refused: Array<[string, string, unknown]> = [
      ["GET", "/v1/keys", undefined],
      ["POST", "/v1/keys", { name: "x", role: "admin" }],
      ["POST", "/v1/accounts", {}],
      ["PATCH", `/v1/accounts/${account.id}`, { label: "nope" }],
      ["DELETE", `/v1/accounts/${account.id}`, undefined],
      ["POST", `/v1/accounts/${account.id}/reset`, undefined],
      ["POST", `/v1/accounts/${account.id}/live`, undefined],
      ["DELETE", `/v1/accounts/${account.id}/live`, undefined],
      ["POST", "/v1/poll", { account_ids: [account.id] }],
    ];
    for (const [method, path, json] of refused) {
      const res = await api(method, path, { ...as, json });
      expect(res.status, `${method} ${path}`).toBe(403);
      expectError(res.body, "forbidden");
    }
    const row = await api("GET", `/v1/accounts/${account.id}`);
    expect(row.body).toMatchObject({ label: account.label, status: "active" });
  });

  it("lets an operator reset, force live and poll, but not edit accounts or keys", async () => {
    const operator = await createKey("operator");
    const { account } = await createViaApi();
    const as = { token: operator.key };
    expect((await api("POST", `/v1/accounts/${account.id}/reset`, as)).status).toBe(409);
    expect((await api("DELETE", `/v1/accounts/${account.id}/live`, as)).status).toBe(200);
    expect(
      (await api("POST", "/v1/poll", { ...as, json: { account_ids: [account.id] } })).status,
    ).toBe(200);
    for (const [method, path] of [
      ["PATCH", `/v1/accounts/${account.id}`],
      ["DELETE", `/v1/accounts/${account.id}`],
      ["GET", "/v1/keys"],
      ["DELETE", `/v1/keys/${operator.id}`],
    ] as const) {
      const res = await api(method, path, {
        ...as,
        json: method === "PATCH" ? { label: "x" } : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it("lets an admin key manage keys and accounts", async () => {
    const admin = await createKey("admin");
    const as = { token: admin.key };
    const made = await api("POST", "/v1/keys", {
      ...as,
      json: { name: `made-${admin.id}`, role: "viewer" },
    });
    expect(made.status).toBe(201);
    expect(made.body.created_by).toBe(admin.name);
    expect((await api("DELETE", `/v1/keys/${made.body.id}`, as)).status).toBe(204);
    const { account } = await createViaApi();
    expect(
      (await api("PATCH", `/v1/accounts/${account.id}`, { ...as, json: { label: "by admin key" } }))
        .status,
    ).toBe(200);
  });
});
