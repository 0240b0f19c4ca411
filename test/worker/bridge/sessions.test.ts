/**
 * Sessions renewed (docs/mtapi-bridge.md, "Sessions" and "Credentials"): an expired token is
 * reconnected by ConnectByToken, else logged in again with stored credentials (ConnectEx), in
 * the same poll; a rejected password stops retrying and alerts once; a pasted token is
 * checked before it is taken; credentials are never shown. Each failed on the code before.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountAudit, accounts } from "../../../src/db/schema.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import {
  createTestAccount,
  eventually,
  getAccount,
  tokenOf,
  runCron,
  sim,
  uniqueIds,
  violationsOf,
  withTestDb,
} from "../helpers.ts";
import { api, newAccountBody } from "../api/helpers.ts";
import { messagesAbout } from "../alerts/sink-helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "../live/live-helpers.ts";

const poll = (ids: number[]) => api("POST", "/v1/poll", { json: { account_ids: ids } });
const INVALID_TOKEN = JSON.stringify({
  code: "INVALID_TOKEN",
  message: "Client with id not found",
});
const expire = (session: string, extra: Record<string, unknown> = {}) =>
  sim(
    `/accounts/${session}`,
    { expired: true, expired_status: 201, expired_body: INVALID_TOKEN, ...extra },
    "PATCH",
  );
const sessionCalls = async () =>
  (await sim<{ rest: { session_calls: number } }>("/state")).rest.session_calls;

/** Creates an account through the API with credentials and no token: the system logs in. */
async function withCredentials(password: string, simExtra: Record<string, unknown> = {}) {
  const ids = uniqueIds();
  await sim("/accounts", {
    session_id: ids.session_id,
    login: ids.login,
    server: ids.server,
    balance: 100_000,
    equity: 99_000,
    walk: false,
    password,
    ...simExtra,
  });
  const body = newAccountBody({
    login: ids.login,
    server: ids.server,
    session_id: undefined,
    credentials: { password, kind: "investor" },
  });
  const res = await api("POST", "/v1/accounts", { json: body });
  return { res, ids };
}

describe("session renewal", () => {
  it("polled: an expired token (201 INVALID_TOKEN) is reconnected by ConnectByToken and read in the same poll", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    await expire(a.sessionId);
    const before = await sessionCalls();
    const res = await poll([a.id]);
    expect(res.body).toMatchObject({ polled: 1, errors: 0, violations: 0 });
    const row = await getAccount(a.id);
    expect(row.problem).toBeNull();
    expect(row.metrics).toMatchObject({ equity: 99_000 });
    expect((await sessionCalls()) - before).toBe(1);
  });

  it("polled: without stored credentials and refused by token, the account shows session_expired", async () => {
    const a = await createTestAccount();
    await expire(a.sessionId, { connect_by_token: false });
    await poll([a.id]);
    expect((await getAccount(a.id)).problem).toBe("session_expired");
  });

  it("creates an account from credentials alone (ConnectEx, a password with & and = in it), never showing the password", async () => {
    const password = "p&ss=w rd+%/?#";
    const { res, ids } = await withCredentials(password);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.credentials).toEqual({
      kind: "investor",
      set_at: expect.any(String),
      last_login_at: expect.any(String),
      status: "ok",
    });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(password);
    expect(text).not.toContain(ids.session_id);
    const row = await getAccount(res.body.id);
    expect(await tokenOf(row)).toBe(ids.session_id);
    expect(row.credentialsSealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(row.credentialsSealed).not.toContain(password);
    const audit = await withTestDb((db) =>
      db.select().from(accountAudit).where(eq(accountAudit.accountId, row.id)),
    );
    expect(JSON.stringify(audit)).not.toContain(password);
    for (const path of [
      `/v1/accounts/${row.id}`,
      "/v1/accounts",
      `/v1/audit?account_id=${row.id}`,
    ]) {
      const answer = await api("GET", path);
      expect(JSON.stringify(answer.body)).not.toContain(password);
    }
  });

  it("polled: refused by token, the stored credentials log in again (ConnectEx) and the new token is kept", async () => {
    const { res, ids } = await withCredentials("s3cret&=", { connect_by_token: false });
    const id = res.body.id as number;
    await poll([id]);
    await expire(ids.session_id);
    const before = await sessionCalls();
    expect((await poll([id])).body).toMatchObject({ errors: 0 });
    const row = await getAccount(id);
    expect(row.problem).toBeNull();
    expect(row.credentialsLastLoginAt).toBeInstanceOf(Date);
    // ConnectByToken (refused), then ConnectEx.
    expect((await sessionCalls()) - before).toBe(2);
  });

  it("polled: a rejected password (INVALID_ACCOUNT) stops retrying and alerts once", async () => {
    const { res, ids } = await withCredentials("right-one", { connect_by_token: false });
    const id = res.body.id as number;
    // The broker's password changed: the stored one is rejected from now on.
    await sim(`/accounts/${ids.session_id}`, { password: "changed" }, "PATCH");
    await expire(ids.session_id);
    await poll([id]);
    const row = await getAccount(id);
    expect(row.problem).toBe("credentials_rejected");
    expect(row.credentialsStatus).toBe("rejected");
    const shown = await api("GET", `/v1/accounts/${id}`);
    expect(shown.body.credentials.status).toBe("rejected");
    const before = await sessionCalls();
    await poll([id]);
    await poll([id]);
    expect(await sessionCalls()).toBe(before);
    expect((await getAccount(id)).problem).toBe("credentials_rejected");
    const alerts = (await messagesAbout(id)).filter((m) => m.type === "account.problem");
    expect(alerts.map((m) => (m.payload.data as { problem: string | null }).problem)).toEqual([
      "credentials_rejected",
    ]);
    expect(await violationsOf([id])).toHaveLength(0);
  });

  it("live: an expired token is renewed and read in the heartbeat that meets it, events applied before and after", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    // Events flow under the token before the expiry...
    await emit({
      type: "OrderProfit",
      session_id: a.sessionId,
      data: { balance: 100_000, equity: 95_410 },
    });
    await eventually(
      async () => {
        await monitor.flushNow();
        return (await getAccount(a.id)).metrics?.equity === 95_410;
      },
      10_000,
      "the event before the expiry applied",
    );
    // ...then the token expires (201 INVALID_TOKEN) and the account's figures move (no event),
    // so a reading of 95_390 can only come from a REST read after the renewal. (Usage stays
    // above the live exit threshold and under the floor, so the account stays live.)
    await expire(a.sessionId, { equity: 95_390, emit: false });
    const rest = async () =>
      (await sim<{ rest: { expired: number; session_calls: number } }>("/state")).rest;
    const before = await rest();
    await runInDurableObject(monitor, (instance: LiveMonitor) => {
      instance.settings.staleMs = 0;
    });

    // One heartbeat: the failed read, ConnectByToken, the read again, applied.
    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    await monitor.flushNow();
    const after = await rest();
    expect(after.expired - before.expired).toBe(1);
    expect(after.session_calls - before.session_calls).toBe(1);
    const row = await getAccount(a.id);
    expect(row.problem).toBeNull();
    expect(row.metrics).toMatchObject({ equity: 95_390, source: "poll" });
    // The problem never reached Postgres or the alerts: renewed before anyone could see it.
    const problems = (await messagesAbout(a.id)).filter((m) => m.type === "account.problem");
    expect(problems).toHaveLength(0);

    // Events keep flowing under the token: the next one is applied too.
    await emit({
      type: "OrderProfit",
      session_id: a.sessionId,
      data: { balance: 100_000, equity: 95_360 },
    });
    await eventually(
      async () => {
        await monitor.flushNow();
        const m = (await getAccount(a.id)).metrics;
        return m?.equity === 95_360 && m.source === "event";
      },
      10_000,
      "the event after the renewal applied",
    );
    expect((await monitor.subscriptions()).map((s) => s.account_id)).toEqual([a.id]);
    expect((await getAccount(a.id)).status).toBe("active");
  });

  it("live: refused by token, the cron logs in again with the stored credentials and resubscribes", async () => {
    const monitor = freshMonitor();
    const { res, ids } = await withCredentials("live&pw=1", { connect_by_token: false });
    const id = res.body.id as number;
    await sim(`/accounts/${ids.session_id}`, { equity: 95_400 }, "PATCH");
    const row = await getAccount(id);
    await goLive(monitor, [row]);
    await simWait({ subscribed: [ids.session_id] });
    await expire(ids.session_id);
    await runInDurableObject(monitor, (instance: LiveMonitor) => {
      instance.settings.staleMs = 0;
    });
    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    await monitor.flushNow();
    expect((await getAccount(id)).problem).toBe("session_expired");
    const loginBefore = (await getAccount(id)).credentialsLastLoginAt;
    await runCron();
    const after = await getAccount(id);
    expect(after.credentialsLastLoginAt).toBeInstanceOf(Date);
    expect(after.credentialsLastLoginAt!.getTime()).toBeGreaterThan(loginBefore?.getTime() ?? 0);
    const audit = await withTestDb((db) =>
      db.select().from(accountAudit).where(eq(accountAudit.accountId, id)),
    );
    expect(audit.map((r) => r.action)).toContain("account.session_renewed");
    // The monitor's next re-read is under a live session again: the reading applies.
    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    await monitor.flushNow();
    const read = await getAccount(id);
    expect(read.problem).toBeNull();
    expect(read.metrics).toMatchObject({ equity: 95_400 });
  });

  it("PUT /session refuses a token MTAPI does not confirm and takes one it does", async () => {
    const a = await createTestAccount();
    await expire(a.sessionId, { connect_by_token: false });
    await poll([a.id]);
    expect((await getAccount(a.id)).problem).toBe("session_expired");
    const bad = await api("PUT", `/v1/accounts/${a.id}/session`, {
      json: { session_id: "not-a-known-token" },
    });
    expect(bad.status).toBe(422);
    // An unsynced answer under the new token is refused too.
    const fresh = crypto.randomUUID();
    await sim("/accounts", {
      session_id: fresh,
      login: `${a.login}-x`,
      server: a.server,
      balance: 100_000,
      walk: false,
      synced: false,
    });
    const unsynced = await api("PUT", `/v1/accounts/${a.id}/session`, {
      json: { session_id: fresh },
    });
    expect(unsynced.status).toBe(422);
    await sim(`/accounts/${fresh}`, { synced: true }, "PATCH");
    const ok = await api("PUT", `/v1/accounts/${a.id}/session`, { json: { session_id: fresh } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.problem).toBeNull();
    expect(JSON.stringify(ok.body)).not.toContain(fresh);
    const row = await getAccount(a.id);
    expect(await tokenOf(row)).toBe(fresh);
    expect(row.problem).toBeNull();
  });

  it("PUT and DELETE /credentials (admin) set and remove them; never echoed", async () => {
    const a = await createTestAccount();
    const put = await api("PUT", `/v1/accounts/${a.id}/credentials`, {
      json: { password: "hunter2&x=y", kind: "master" },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.credentials).toMatchObject({
      kind: "master",
      status: "ok",
      last_login_at: null,
    });
    expect(JSON.stringify(put.body)).not.toContain("hunter2");
    const del = await api("DELETE", `/v1/accounts/${a.id}/credentials`);
    expect(del.status).toBe(200);
    expect(del.body.credentials).toEqual({
      kind: null,
      set_at: null,
      last_login_at: null,
      status: "none",
    });
    const last = await withTestDb((db) =>
      db
        .select()
        .from(accountAudit)
        .where(eq(accountAudit.accountId, a.id))
        .orderBy(desc(accountAudit.id)),
    );
    expect(last.map((r) => r.action).slice(0, 2)).toEqual([
      "account.credentials_removed",
      "account.credentials_set",
    ]);
    expect(JSON.stringify(last)).not.toContain("hunter2");
    void accounts;
    void env;
  });
});
