import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { webhookAudit } from "../../../src/db/schema.ts";
import { api, expectError } from "../api/helpers.ts";
import { withTestDb } from "../helpers.ts";
import { deleteAllEndpoints, hookUrl, newHook } from "./sink-helpers.ts";

afterEach(deleteAllEndpoints);

describe("/v1/webhooks", () => {
  it("creates an endpoint and shows its whsec_ secret once", async () => {
    const url = hookUrl(newHook());
    const created = await api("POST", "/v1/webhooks", {
      json: { url, events: ["violation.recorded", "account.warning"], description: "CRM" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url,
      events: ["violation.recorded", "account.warning"],
      description: "CRM",
      format: "standard",
      enabled: true,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(atob(created.body.secret.slice(6))).toHaveLength(24);

    const read = await api("GET", `/v1/webhooks/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty("secret");
    const list = await api("GET", "/v1/webhooks");
    expect(list.body.items.map((e: { id: number }) => e.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
  });

  it("rotates the secret, disables, re-enables and deletes an endpoint, each audited", async () => {
    const created = await api("POST", "/v1/webhooks", {
      json: { url: hookUrl(newHook()), events: ["*"] },
    });
    const id = created.body.id;
    const rotated = await api("PATCH", `/v1/webhooks/${id}`, { json: { rotate_secret: true } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    const off = await api("PATCH", `/v1/webhooks/${id}`, { json: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, disabled_reason: "disabled by an operator" });
    expect(off.body).not.toHaveProperty("secret");
    const test = await api("POST", `/v1/webhooks/${id}/test`);
    expect(test.status).toBe(409);
    const on = await api("PATCH", `/v1/webhooks/${id}`, { json: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null });

    expect((await api("DELETE", `/v1/webhooks/${id}`)).status).toBe(204);
    expect((await api("GET", `/v1/webhooks/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/v1/webhooks/${id}`)).status).toBe(404);

    const audit = await withTestDb((db) =>
      db
        .select()
        .from(webhookAudit)
        .where(eq(webhookAudit.endpointId, id))
        .orderBy(webhookAudit.id),
    );
    expect(audit.map((a) => a.action)).toEqual([
      "created",
      "secret_rotated",
      "updated",
      "updated",
      "deleted",
    ]);
    expect(JSON.stringify(audit)).not.toContain("whsec_");
  });

  it("refuses plain http, private addresses and internal names, naming the url field", async () => {
    for (const url of [
      "http://crm.example.com/hook",
      "https://10.0.0.5/hook",
      "https://192.168.1.10/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://[fd00::1]/hook",
      "https://intranet/hook",
      "https://printer.local/hook",
      "ftp://example.com/x",
      "not a url",
    ]) {
      const res = await api("POST", "/v1/webhooks", { json: { url, events: ["*"] } });
      expect(res.status, url).toBe(400);
      expectError(res.body, "validation_failed");
      expect(res.body.error.details[0].path, url).toBe("url");
    }
    const patch = await api("POST", "/v1/webhooks", {
      json: { url: hookUrl(newHook()), events: ["*"] },
    });
    const bad = await api("PATCH", `/v1/webhooks/${patch.body.id}`, {
      json: { url: "https://127.0.0.1.nip.io.local/x" },
    });
    expect(bad.status).toBe(400);
  });

  it("keeps credentials in the URL but masks them in every answer and in the audit", async () => {
    const created = await api("POST", "/v1/webhooks", {
      json: { url: "https://alice:s3cr3t@hooks.example.com/in?x=1", events: ["*"] },
    });
    expect(created.status).toBe(201);
    expect(created.body.url).toBe("https://***:***@hooks.example.com/in?x=***");
    const read = await api("GET", `/v1/webhooks/${created.body.id}`);
    const list = await api("GET", "/v1/webhooks");
    expect(JSON.stringify([read.body, list.body])).not.toContain("s3cr3t");
    expect(JSON.stringify([read.body, list.body])).not.toContain("alice");
    const audit = await withTestDb((db) =>
      db.select().from(webhookAudit).where(eq(webhookAudit.endpointId, created.body.id)),
    );
    expect(JSON.stringify(audit)).not.toContain("s3cr3t");
  });

  it("rejects unknown event types and malformed bodies with 400 naming the field", async () => {
    const url = hookUrl(newHook());
    const unknown = await api("POST", "/v1/webhooks", {
      json: { url, events: ["account.exploded"] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe("events.0");
    const mixed = await api("POST", "/v1/webhooks", {
      json: { url, events: ["*", "webhook.test"] },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details[0].path).toBe("events");
    const extra = await api("POST", "/v1/webhooks", { json: { url, events: ["*"], secret: "x" } });
    expect(extra.status).toBe(400);
    const format = await api("POST", "/v1/webhooks", {
      json: { url, events: ["*"], format: "xml" },
    });
    expect(format.body.error.details[0].path).toBe("format");
    const badId = await api("GET", "/v1/webhooks/abc");
    expect(badId.status).toBe(400);
    const badCursor = await api("GET", "/v1/webhooks/1/deliveries?cursor=zzz");
    expect([400, 404]).toContain(badCursor.status);
    const badMessage = await api("POST", "/v1/webhooks/1/deliveries/nope/retry");
    expect(badMessage.status).toBe(400);
    expect(badMessage.body.error.details[0].path).toBe("message_id");
  });

  it("requires the token", async () => {
    const res = await api("GET", "/v1/webhooks", { token: null });
    expect(res.status).toBe(401);
  });
});
