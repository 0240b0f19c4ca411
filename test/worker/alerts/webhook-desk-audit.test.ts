/** Webhook changes in the desk audit: `GET /v1/audit` shows them beside account changes. */
import { afterEach, describe, expect, it } from "vitest";
import { api } from "../api/helpers.ts";
import { deleteAllEndpoints, hookUrl, newHook } from "./sink-helpers.ts";

afterEach(deleteAllEndpoints);

/** The audit entries about webhook `id`, oldest first. */
async function webhookAuditOf(id: number): Promise<Array<Record<string, unknown>>> {
  const res = await api("GET", "/v1/audit?limit=200");
  expect(res.status).toBe(200);
  const items = res.body.items as Array<{ action: string; after: { webhook_id?: number } }>;
  return items
    .filter((i) => i.action.startsWith("webhook.") && i.after?.webhook_id === id)
    .reverse();
}

describe("webhook changes in the desk audit", () => {
  it("shows create, update, secret rotation, test, replay and delete in GET /v1/audit with the actor, the URL masked and no secret", async () => {
    const url = hookUrl(newHook()).replace("http://", "http://user:pw@");
    const created = await api("POST", "/v1/webhooks", { json: { url, events: ["*"] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as number;
    expect(
      (await api("PATCH", `/v1/webhooks/${id}`, { json: { description: "CRM" } })).status,
    ).toBe(200);
    const rotated = await api("PATCH", `/v1/webhooks/${id}`, { json: { rotate_secret: true } });
    expect(rotated.status).toBe(200);
    const tested = await api("POST", `/v1/webhooks/${id}/test`);
    expect(tested.status).toBe(202);
    const replay = await api(
      "POST",
      `/v1/webhooks/${id}/deliveries/${tested.body.message_id}/retry`,
    );
    expect(replay.status).toBe(202);
    expect((await api("DELETE", `/v1/webhooks/${id}`)).status).toBe(204);

    const entries = await webhookAuditOf(id);
    expect(entries.map((e) => e.action)).toEqual([
      "webhook.created",
      "webhook.updated",
      "webhook.secret_rotated",
      "webhook.tested",
      "webhook.replayed",
      "webhook.deleted",
    ]);
    for (const e of entries) expect(e).toMatchObject({ actor: "admin-token", account_id: null });
    const text = JSON.stringify(entries);
    expect(text).not.toContain("pw@");
    expect(text).not.toContain(created.body.secret);
    expect(text).not.toContain(rotated.body.secret);
    expect(entries[1]!.after).toMatchObject({ webhook_id: id, description: "CRM" });

    const filtered = await api("GET", "/v1/audit?action=webhook.secret_rotated");
    expect(filtered.status).toBe(200);
    expect(
      filtered.body.items.map((i: { after: { webhook_id: number } }) => i.after.webhook_id),
    ).toContain(id);
  });
});
