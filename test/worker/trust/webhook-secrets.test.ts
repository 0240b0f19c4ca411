/**
 * Webhook secrets at rest and their rotation (docs/security.md, "Secrets at rest";
 * docs/alerts.md, "Delivery"): stored sealed, never in clear; after a rotation the old secret
 * keeps signing beside the new one for 24 h, then stops.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { webhookEndpoints } from "../../../src/db/schema.ts";
import { isSealed } from "../../../src/secrets/seal.ts";
import { eventually, withTestDb } from "../helpers.ts";
import { api } from "../api/helpers.ts";
import { deleteAllEndpoints, receivedBy, registerHook } from "../alerts/sink-helpers.ts";

afterEach(deleteAllEndpoints);

async function storedRow(id: number) {
  return withTestDb(async (db) => {
    const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    return row!;
  });
}

async function testDelivery(id: number, hook: string, count: number) {
  expect((await api("POST", `/v1/webhooks/${id}/test`)).status).toBe(202);
  const got = await eventually(
    async () => {
      const all = await receivedBy(hook);
      return all.length >= count ? all : null;
    },
    10_000,
    "the test message at the receiver",
  );
  return got[count - 1]!;
}

describe("webhook secrets", () => {
  it("are stored sealed, never in clear", async () => {
    const hook = await registerHook();
    const row = await storedRow(hook.id);
    expect(hook.secret).toMatch(/^whsec_/);
    expect(isSealed(row.secret)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(hook.secret);
    expect(JSON.stringify(row)).not.toContain(hook.secret.slice(6));
  });

  it("sign with both the new and the old secret for 24 h after a rotation, then with the new alone", async () => {
    const hook = await registerHook();
    const rotated = await api("PATCH", `/v1/webhooks/${hook.id}`, {
      json: { rotate_secret: true },
    });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(hook.secret);
    const row = await storedRow(hook.id);
    expect(isSealed(row.secret) && isSealed(row.previousSecret!)).toBe(true);
    expect(row.previousSecretUntil!.getTime()).toBeGreaterThan(Date.now() + 23.9 * 3600_000);

    const during = await testDelivery(hook.id, hook.hook, 1);
    expect(during.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    // A receiver still on the old secret and one already on the new both verify.
    expect(() => new Webhook(hook.secret).verify(during.body, during.headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(during.body, during.headers)).not.toThrow();

    // The overlap over: the old secret no longer signs.
    await withTestDb((db) =>
      db
        .update(webhookEndpoints)
        .set({ previousSecretUntil: new Date(Date.now() - 1000) })
        .where(eq(webhookEndpoints.id, hook.id)),
    );
    const after = await testDelivery(hook.id, hook.hook, 2);
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(() => new Webhook(fresh).verify(after.body, after.headers)).not.toThrow();
    expect(() => new Webhook(hook.secret).verify(after.body, after.headers)).toThrow();
  });
});

describe("npm run secrets:reseal", () => {
  it("seals secrets stored in clear and those under the previous key, under the new key, and deliveries still verify", async () => {
    const { resealWebhookSecrets } = await import("../../../src/secrets/reseal.ts");
    const { loadSealKeys, seal } = await import("../../../src/secrets/seal.ts");
    const testKey = env.SECRETS_KEY!;
    const newKey = "5e".repeat(32);
    const plain = await registerHook();
    const underOld = await registerHook();
    // One secret as it was stored before sealing existed.
    await withTestDb((db) =>
      db
        .update(webhookEndpoints)
        .set({ secret: plain.secret })
        .where(eq(webhookEndpoints.id, plain.id)),
    );
    const rotated = await loadSealKeys({ SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: testKey });
    const report = await withTestDb((db) => resealWebhookSecrets(db, rotated));
    expect(report).toEqual({ resealed: 2, current: 0 });
    const newId = (await seal(rotated, "x")).split(".")[1];
    for (const h of [plain, underOld]) {
      const row = await storedRow(h.id);
      expect(row.secret.split(".")[1]).toBe(newId);
      expect(JSON.stringify(row)).not.toContain(h.secret);
    }
    expect(await withTestDb((db) => resealWebhookSecrets(db, rotated))).toEqual({
      resealed: 0,
      current: 2,
    });
    // Back under the tests' key, so the Worker (which knows only that key) delivers again.
    const back = await loadSealKeys({ SECRETS_KEY: testKey, SECRETS_KEY_PREVIOUS: newKey });
    expect((await withTestDb((db) => resealWebhookSecrets(db, back))).resealed).toBe(2);
    const got = await testDelivery(plain.id, plain.hook, 1);
    expect(() => new Webhook(plain.secret).verify(got.body, got.headers)).not.toThrow();
  });
});
