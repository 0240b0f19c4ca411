/**
 * Finding 4 of "Trust" and the webhook items of its Low list (docs/security.md): secrets in
 * webhook URLs (user info, a Slack hook's path, `?api_key=`) reached viewers and the audit;
 * delivery replays were allowed to operators.
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { withTestDb } from "../helpers.ts";
import { api, createKey } from "../api/helpers.ts";
import { deleteAllEndpoints } from "../alerts/sink-helpers.ts";

afterEach(deleteAllEndpoints);

describe("webhook URLs", () => {
  it("show no credential, secret path segment or query value to any reader, nor in the audit", async () => {
    const token = `XyZ${crypto.randomUUID().replaceAll("-", "").slice(0, 21)}`;
    const apiKey = `k-${crypto.randomUUID()}`;
    const password = `pw-${crypto.randomUUID().slice(0, 8)}`;
    const urls = [
      `https://hooks.slack.com/services/T00000000/B00000000/${token}`,
      `https://ops:${password}@crm.example.com/hook?api_key=${apiKey}`,
    ];
    const ids: number[] = [];
    for (const url of urls) {
      const res = await api("POST", "/v1/webhooks", { json: { url, events: ["*"] } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
      const patched = await api("PATCH", `/v1/webhooks/${res.body.id}`, {
        json: { url: `${url}${url.includes("?") ? "&" : "?"}v=2` },
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    }
    const viewer = await createKey("viewer");
    const answers = [
      await api("GET", "/v1/webhooks", { token: viewer.key }),
      ...(await Promise.all(
        ids.map((id) => api("GET", `/v1/webhooks/${id}`, { token: viewer.key })),
      )),
      await api("GET", "/v1/audit?limit=200", { token: viewer.key }),
    ];
    for (const a of answers) expect(a.status).toBe(200);
    const text = JSON.stringify(answers.map((a) => a.body));
    expect(text).toContain("hooks.slack.com/services/T00000000/B00000000/***");
    for (const secret of [token, apiKey, password]) expect(text).not.toContain(secret);

    for (const id of ids) expect((await api("DELETE", `/v1/webhooks/${id}`)).status).toBe(204);
    const stored = await withTestDb((db) =>
      db.execute(sql`select
        (select coalesce(jsonb_agg(to_jsonb(a)), '[]'::jsonb) from account_audit a) as audit,
        (select coalesce(jsonb_agg(to_jsonb(w)), '[]'::jsonb) from webhook_audit w) as hooks`),
    );
    const dump = JSON.stringify(stored.rows);
    for (const secret of [token, apiKey, password]) expect(dump).not.toContain(secret);
  });

  it("lets only an admin replay a delivery", async () => {
    const res = await api("POST", "/v1/webhooks", {
      json: { url: "https://crm.example.com/hook", events: ["*"] },
    });
    const operator = await createKey("operator");
    const replay = await api(
      "POST",
      `/v1/webhooks/${res.body.id}/deliveries/msg_${"0".repeat(32)}/retry`,
      { token: operator.key },
    );
    expect(replay.status).toBe(403);
  });
});
