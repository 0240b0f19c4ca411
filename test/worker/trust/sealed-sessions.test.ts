/**
 * MTAPI session tokens and webhook URLs at rest (docs/security.md, "Secrets at rest"):
 * stored sealed with a lookup hash (tokens) or a mask (URLs) beside them, so a dump of the
 * tables holds none in clear; lookups and the one-active-account-per-token rule still hold,
 * across forms (clear rows from before sealing) and across a key rotation; `npm run
 * secrets:reseal` seals what is left in clear and moves everything to the new key; the live
 * monitor stores tokens sealed; a token given by hand resets the renewal backoff.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { accounts, webhookEndpoints } from "../../../src/db/schema.ts";
import { assertSessionFree, SessionInUseError } from "../../../src/accounts/sessions.ts";
import { lookupHash } from "../../../src/secrets/lookup.ts";
import { resealAll } from "../../../src/secrets/reseal.ts";
import { isSealed, loadSealKeys, seal } from "../../../src/secrets/seal.ts";
import { openSession } from "../../../src/secrets/session.ts";
import {
  createTestAccount,
  getAccount,
  sim,
  tokenOf,
  trackMonitor,
  uniqueIds,
  withTestDb,
} from "../helpers.ts";
import { addToSim, api, createViaApi, expectError } from "../api/helpers.ts";
import { deleteAllEndpoints, hookUrl, newHook, receivedBy } from "../alerts/sink-helpers.ts";
import { eventually } from "../helpers.ts";
import { goLive, simWait } from "../live/live-helpers.ts";

afterEach(deleteAllEndpoints);

const poll = (ids: number[]) => api("POST", "/v1/poll", { json: { account_ids: ids } });

/** Every row of `table` as Postgres would dump it (text of each row). */
async function dump(table: "accounts" | "webhook_endpoints" | "account_audit"): Promise<string> {
  const rows = await withTestDb((db) =>
    db.execute<{ t: string }>(sql`select row_to_json(x)::text as t from ${sql.raw(table)} x`),
  );
  return rows.rows.map((r) => r.t).join("\n");
}

/** The tests' keys, and the same after a rotation to `next` (the tests' key kept as previous). */
async function keys() {
  const testKey = env.SECRETS_KEY!;
  const next = "5a".repeat(32);
  return {
    current: await loadSealKeys({ SECRETS_KEY: testKey }),
    rotated: await loadSealKeys({ SECRETS_KEY: next, SECRETS_KEY_PREVIOUS: testKey }),
    back: await loadSealKeys({ SECRETS_KEY: testKey, SECRETS_KEY_PREVIOUS: next }),
    newId: (await seal(await loadSealKeys({ SECRETS_KEY: next }), "x")).split(".")[1]!,
  };
}

describe("session tokens and webhook URLs at rest", () => {
  it("leave no token and no URL secret in a dump of accounts, webhooks and the audit", async () => {
    const created = await createViaApi();
    const other = crypto.randomUUID();
    const patched = await api("PATCH", `/v1/accounts/${created.account.id}`, {
      json: { session_id: other },
    });
    expect(patched.status).toBe(200);
    const apiKey = `k${crypto.randomUUID().replace(/-/g, "")}`;
    const hook = await api("POST", "/v1/webhooks", {
      json: { url: `${hookUrl(newHook())}?api_key=${apiKey}`, events: ["*"] },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);

    const text = [
      await dump("accounts"),
      await dump("webhook_endpoints"),
      await dump("account_audit"),
    ].join("\n");
    for (const secret of [created.sessionId, other, apiKey]) expect(text).not.toContain(secret);
    const row = await getAccount(created.account.id);
    expect(isSealed(row.sessionId)).toBe(true);
    expect(row.sessionHash).toMatch(/^[0-9a-f]{8}\.[A-Za-z0-9_-]{43}$/);
    // What answers show is unchanged: the mask.
    expect(patched.body.session_id).toBe(`${other.slice(0, 4)}...`);
    expect(hook.body.url).toContain("api_key=***");
    const [endpoint] = await withTestDb((db) =>
      db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.body.id)),
    );
    expect(isSealed(endpoint!.url)).toBe(true);
    expect(endpoint!.urlMask).toBe(hook.body.url);
  });

  it("delivers to a sealed webhook URL (opened for the request only)", async () => {
    const name = newHook();
    const res = await api("POST", "/v1/webhooks", {
      json: { url: `${hookUrl(name)}?token=${crypto.randomUUID()}`, events: ["*"] },
    });
    expect(res.status).toBe(201);
    expect((await api("POST", `/v1/webhooks/${res.body.id}/test`)).status).toBe(202);
    await eventually(async () => (await receivedBy(name)).length >= 1, 10_000, "delivered");
  });

  it("answers 409 for a token another active account holds, sealed or in clear from before sealing", async () => {
    const first = await createViaApi();
    const dup = await api("POST", "/v1/accounts", {
      json: { ...createViaApiBody(), session_id: first.sessionId },
    });
    expect(dup.status).toBe(409);
    expectError(dup.body, "conflict");
    expect(JSON.stringify(dup.body)).not.toContain(first.sessionId);

    // A row written before sealing: its token in clear, no hash.
    const legacy = await createTestAccount({ inSim: false });
    expect(legacy.sessionHash).toBeNull();
    const onCreate = await api("POST", "/v1/accounts", {
      json: { ...createViaApiBody(), session_id: legacy.sessionId },
    });
    expect(onCreate.status).toBe(409);
    const second = await createViaApi();
    const onPatch = await api("PATCH", `/v1/accounts/${second.account.id}`, {
      json: { session_id: legacy.sessionId },
    });
    expect(onPatch.status).toBe(409);
    // The same token on the same account is no conflict.
    const same = await api("PATCH", `/v1/accounts/${second.account.id}`, {
      json: { session_id: second.sessionId },
    });
    expect(same.status).toBe(200);
  });

  it("finds a token hashed under SECRETS_KEY_PREVIOUS while a rotation is under way", async () => {
    const k = await keys();
    const created = await createViaApi();
    // Hashed under the tests' key: a Worker already on the new key (the old one as previous)
    // still finds it, so the uniqueness holds before the re-seal.
    const found = await withTestDb((db) =>
      assertSessionFree(db, k.rotated, created.sessionId).catch((e: unknown) => e),
    );
    expect(found).toBeInstanceOf(SessionInUseError);
    const onlyNew = await loadSealKeys({ SECRETS_KEY: "5a".repeat(32) });
    expect(
      await withTestDb((db) => assertSessionFree(db, onlyNew, created.sessionId)),
    ).toBeUndefined();
  });

  it("keeps a token stored in clear before sealing working, and npm run secrets:reseal seals it", async () => {
    const k = await keys();
    const legacy = await createTestAccount({ balance: 100_000, equity: 99_500 });
    expect(isSealed(legacy.sessionId)).toBe(false);
    const before = await api("GET", `/v1/accounts/${legacy.id}`);
    expect((await poll([legacy.id])).body).toMatchObject({ polled: 1, errors: 0 });
    expect((await getAccount(legacy.id)).metrics).toMatchObject({ equity: 99_500 });

    await withTestDb((db) => resealAll(db, k.current));
    const row = await getAccount(legacy.id);
    expect(isSealed(row.sessionId)).toBe(true);
    expect(row.sessionHash).toBe(await lookupHash(k.current, legacy.sessionId));
    expect(await tokenOf(row)).toBe(legacy.sessionId);
    expect(await dump("accounts")).not.toContain(legacy.sessionId);
    // Answers are unchanged; the account is read under its sealed token.
    expect((await api("GET", `/v1/accounts/${legacy.id}`)).body.session_id).toBe(
      before.body.session_id,
    );
    await sim(`/accounts/${legacy.sessionId}`, { equity: 99_100 }, "PATCH");
    expect((await poll([legacy.id])).body).toMatchObject({ polled: 1, errors: 0 });
    expect((await getAccount(legacy.id)).metrics).toMatchObject({ equity: 99_100 });
  });

  it("re-seals tokens (hashes recomputed), passwords and webhook URLs under a new key, and back", async () => {
    const k = await keys();
    const created = await createViaApi();
    const put = await api("PUT", `/v1/accounts/${created.account.id}/credentials`, {
      json: { password: "s3cret&x=y", kind: "investor" },
    });
    expect(put.status).toBe(200);
    const url = `${hookUrl(newHook())}?api_key=${crypto.randomUUID()}`;
    const hook = await api("POST", "/v1/webhooks", { json: { url, events: ["*"] } });
    expect(hook.status).toBe(201);

    const report = await withTestDb((db) => resealAll(db, k.rotated));
    expect(report.accounts.resealed).toBeGreaterThanOrEqual(1);
    expect(report.webhooks.resealed).toBe(1);
    const row = await getAccount(created.account.id);
    expect(row.sessionId.split(".")[1]).toBe(k.newId);
    expect(row.credentialsSealed!.split(".")[1]).toBe(k.newId);
    expect(row.sessionHash!.split(".")[0]).toBe(k.newId);
    expect(row.sessionHash).toBe(await lookupHash(k.rotated, created.sessionId));
    expect(await openSession(k.rotated, row.sessionId)).toBe(created.sessionId);
    const [endpoint] = await withTestDb((db) =>
      db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.body.id)),
    );
    expect(endpoint!.url.split(".")[1]).toBe(k.newId);
    expect(await openSession(k.rotated, endpoint!.url)).toBe(url);
    // After the re-seal the lookup under the new key alone finds it.
    const onlyNew = await loadSealKeys({ SECRETS_KEY: "5a".repeat(32) });
    const found = await withTestDb((db) =>
      assertSessionFree(db, onlyNew, created.sessionId).catch((e: unknown) => e),
    );
    expect(found).toBeInstanceOf(SessionInUseError);
    // Twice is a no-op.
    const again = await withTestDb((db) => resealAll(db, k.rotated));
    expect(again.accounts.resealed + again.webhooks.resealed).toBe(0);

    // Back under the tests' key (the Worker knows only that one): everything still works.
    await withTestDb((db) => resealAll(db, k.back));
    const backRow = await getAccount(created.account.id);
    expect(backRow.sessionHash).toBe(await lookupHash(k.current, created.sessionId));
    const dup = await api("POST", "/v1/accounts", {
      json: { ...createViaApiBody(), session_id: created.sessionId },
    });
    expect(dup.status).toBe(409);
  });

  it("PUT /session with a good token resets the renewal backoff, so the new token is renewed at once", async () => {
    const a = await createTestAccount();
    await withTestDb((db) =>
      db
        .update(accounts)
        .set({ sessionRenewAfter: new Date(Date.now() + 3600_000), sessionRenewFailures: 5 })
        .where(eq(accounts.id, a.id)),
    );
    const fresh = crypto.randomUUID();
    await addToSim(
      { account: { id: a.id, login: `${a.login}-x`, server: a.server }, sessionId: fresh },
      { balance: 100_000, equity: 99_800 },
    );
    const ok = await api("PUT", `/v1/accounts/${a.id}/session`, { json: { session_id: fresh } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const row = await getAccount(a.id);
    expect(row).toMatchObject({ sessionRenewAfter: null, sessionRenewFailures: 0 });
    // The new token expires at once: renewed in this poll, not held back by the old backoff.
    await sim(
      `/accounts/${fresh}`,
      {
        expired: true,
        expired_status: 201,
        expired_body: JSON.stringify({
          code: "INVALID_TOKEN",
          message: "Client with id not found",
        }),
      },
      "PATCH",
    );
    expect((await poll([a.id])).body).toMatchObject({ polled: 1, errors: 0 });
    expect((await getAccount(a.id)).problem).toBeNull();
  });

  it("the live monitor stores tokens sealed, subscribes them in clear, and seals one it stored in clear", async () => {
    const name = `test-monitor-${crypto.randomUUID()}`;
    const monitor = trackMonitor(name);
    const a = await createTestAccount();
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    const stored = () =>
      runInDurableObject(monitor, (_i, ctx: DurableObjectState) =>
        ctx.storage.sql
          .exec<{ session_id: string }>("SELECT session_id FROM subs WHERE account_id = ?", a.id)
          .one(),
      );
    const first = await stored();
    expect(isSealed(first.session_id)).toBe(true);
    expect(first.session_id).not.toContain(a.sessionId);
    expect(await tokenOf({ sessionId: first.session_id })).toBe(a.sessionId);
    // Subscribed under a token given sealed (as Postgres stores it): the same sealed form kept.
    const sealedRow = {
      ...a,
      sessionId: await seal(await keys().then((k) => k.current), a.sessionId),
    };
    await goLive(monitor, [sealedRow]);
    expect((await stored()).session_id).toBe(sealedRow.sessionId);
    // In memory (the RPC, masked by GET /v1/monitor/subscriptions) the token is in clear.
    expect((await monitor.subscriptions()).find((s) => s.account_id === a.id)?.session_id).toBe(
      a.sessionId,
    );

    // Storage from before sealing: the token in clear. A fresh instance opens and seals it.
    await runInDurableObject(monitor, (_i, ctx: DurableObjectState) => {
      ctx.storage.sql.exec(
        "UPDATE subs SET session_id = ? WHERE account_id = ?",
        a.sessionId,
        a.id,
      );
    });
    await abortAllDurableObjects().catch((err: unknown) =>
      expect(String(err)).toMatch(/abortAllDurableObjects/),
    );
    const revived = env.LIVE_MONITOR.getByName(name);
    expect((await revived.status()).subscriptions).toBe(1);
    const resealed = await runInDurableObject(revived, (_i, ctx: DurableObjectState) =>
      ctx.storage.sql
        .exec<{ session_id: string }>("SELECT session_id FROM subs WHERE account_id = ?", a.id)
        .one(),
    );
    expect(isSealed(resealed.session_id)).toBe(true);
    expect(await tokenOf({ sessionId: resealed.session_id })).toBe(a.sessionId);
    await revived.ensureRunning();
    await simWait({ subscribed: [a.sessionId] });
  });
});

/** A create body with unique login and server (the token is set by each test). */
function createViaApiBody() {
  const ids = uniqueIds();
  return {
    login: ids.login,
    server: ids.server,
    rules: { preset: "ftmo-2step", initial_balance: 100_000 },
  };
}
