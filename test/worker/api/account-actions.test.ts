import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, violations } from "../../../src/db/schema.ts";
import { eventually, getAccount, sim, violationsOf, withTestDb } from "../helpers.ts";
import { api, createViaApi, expectError, subscribedIds } from "./helpers.ts";
import { auditOf, simAccount } from "../fixtures.ts";

describe("POST /v1/accounts/{id}/reset", () => {
  it("brings a breached account back to active / polling, forgets its breaches, keeps its violations", async () => {
    const { account } = await simAccount(104_000, 99_500);
    expect((await api("POST", "/v1/poll", { json: { account_ids: [account.id] } })).status).toBe(
      200,
    );
    const polled = await getAccount(account.id);
    const day = polled.riskState!.trading_day;
    // Breached in SQL, as a breach by the poller or the monitor would leave it.
    await withTestDb(async (db) => {
      await db
        .update(accounts)
        .set({
          status: "breached",
          riskState: sql`jsonb_set(${accounts.riskState}, '{breached,daily_loss}', to_jsonb(${day}::text))`,
        })
        .where(eq(accounts.id, account.id));
      await db.insert(violations).values({
        accountId: account.id,
        rule: "daily_loss",
        period: day,
        equity: 98_000,
        floor: 99_000,
        usage: 120,
        source: "poll",
        detectedAt: new Date(),
      });
    });

    const res = await api("POST", `/v1/accounts/${account.id}/reset`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: account.id,
      status: "active",
      monitoring_state: "polling",
    });
    const row = await getAccount(account.id);
    expect(row.riskState?.breached).toEqual({ daily_loss: null, max_loss: null });
    expect(row.riskState?.day_start).toBe(104_000);
    expect(row.stateVersion).toBe(polled.stateVersion + 1);
    expect((await auditOf(account.id)).filter((a) => a.action !== "account.created")).toEqual([
      expect.objectContaining({
        action: "account.reset",
        actor: "admin-token",
        field: "status",
        fromValue: "breached",
        toValue: "active",
        reason: null,
        source: "api",
        before: { status: "breached", monitoring_state: "polling" },
        after: { status: "active", monitoring_state: "polling" },
      }),
    ]);
    expect(await violationsOf([account.id])).toHaveLength(1);
  });

  it("answers 409 to a reset of an account that is not breached, and 404 to an unknown one", async () => {
    const { account } = await createViaApi();
    const res = await api("POST", `/v1/accounts/${account.id}/reset`);
    expect(res.status).toBe(409);
    expectError(res.body, "conflict");
    expect((await getAccount(account.id)).stateVersion).toBe(0);
    expect((await api("POST", "/v1/accounts/2147483647/reset")).status).toBe(404);
  });
});

describe("forcing live monitoring", () => {
  it("moves an account live and back, in Postgres first and then on the monitor", async () => {
    const { account, sessionId } = await simAccount();
    const live = await api("POST", `/v1/accounts/${account.id}/live`);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ id: account.id, monitoring_state: "live", status: "active" });
    expect(await getAccount(account.id)).toMatchObject({
      monitoringState: "live",
      stateVersion: 1,
    });
    await eventually(
      async () => (await subscribedIds()).includes(account.id),
      10_000,
      "subscription",
    );
    const subs = await api("GET", "/v1/monitor/subscriptions");
    expect(
      subs.body.items.find((s: { account_id: number }) => s.account_id === account.id),
    ).toMatchObject({
      login: account.login,
      server: account.server,
      session_id: `${sessionId.slice(0, 4)}...`,
      subscribed_at: expect.any(String),
    });
    expect(JSON.stringify(subs.body)).not.toContain(sessionId);

    const back = await api("DELETE", `/v1/accounts/${account.id}/live`);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ monitoring_state: "polling" });
    expect(await getAccount(account.id)).toMatchObject({
      monitoringState: "polling",
      stateVersion: 2,
    });
    await eventually(
      async () => !(await subscribedIds()).includes(account.id),
      10_000,
      "unsubscription",
    );
    expect(
      (await auditOf(account.id))
        .filter((a) => a.action !== "account.created")
        .map((a) => [a.action, a.field, a.fromValue, a.toValue, a.source]),
    ).toEqual([
      ["account.live_forced", "monitoring_state", "polling", "live", "api"],
      ["account.live_released", "monitoring_state", "live", "polling", "api"],
    ]);
  });

  it("refuses to force a breached or disabled account live", async () => {
    const { account } = await createViaApi();
    await withTestDb((db) =>
      db.update(accounts).set({ status: "breached" }).where(eq(accounts.id, account.id)),
    );
    const res = await api("POST", `/v1/accounts/${account.id}/live`);
    expect(res.status).toBe(409);
    expectError(res.body, "conflict");
    expect(await getAccount(account.id)).toMatchObject({ monitoringState: "polling" });
    expect((await api("POST", "/v1/accounts/2147483647/live")).status).toBe(404);
    expect((await api("DELETE", "/v1/accounts/2147483647/live")).status).toBe(404);
  });

  it("hands a live account's new session id to the monitor, and unsubscribes it when deleted", async () => {
    const { account } = await simAccount();
    expect((await api("POST", `/v1/accounts/${account.id}/live`)).status).toBe(200);
    await eventually(
      async () => (await subscribedIds()).includes(account.id),
      10_000,
      "subscription",
    );
    const session = crypto.randomUUID();
    const patched = await api("PATCH", `/v1/accounts/${account.id}`, {
      json: { session_id: session, rules: { preset: "ftmo-1step", initial_balance: 100_000 } },
    });
    expect(patched.status).toBe(200);
    await eventually(
      async () => {
        const subs = await api("GET", "/v1/monitor/subscriptions");
        const mine = subs.body.items.find(
          (s: { account_id: number }) => s.account_id === account.id,
        );
        return mine?.session_id === `${session.slice(0, 4)}...`;
      },
      10_000,
      "the new session id on the monitor",
    );

    expect((await api("DELETE", `/v1/accounts/${account.id}`)).status).toBe(204);
    expect(await getAccount(account.id)).toMatchObject({
      status: "deleted",
      monitoringState: "polling",
    });
    await eventually(
      async () => !(await subscribedIds()).includes(account.id),
      10_000,
      "unsubscription",
    );
    const audit = (await auditOf(account.id)).map((a) => [a.action, a.before, a.after]);
    expect(audit).toEqual(
      expect.arrayContaining([
        [
          "account.deleted",
          { status: "active", monitoring_state: "live", credentials: "none" },
          { status: "deleted", monitoring_state: "polling", credentials: "none" },
        ],
      ]),
    );
  });
});

describe("GET /v1/monitor", () => {
  it("answers the monitor's link, subscriptions, event counters and pending writes as they change", async () => {
    const before = await api("GET", "/v1/monitor");
    expect(before.status).toBe(200);
    // Near the floor, so the monitor keeps it (and its link) after the event.
    const { account, sessionId } = await simAccount(100_000, 95_400);
    expect((await api("POST", `/v1/accounts/${account.id}/live`)).status).toBe(200);
    await sim("/wait", { until: { subscribed: [sessionId] }, timeout_ms: 10_000 });
    // One event for the account: received and applied, nothing else counted.
    await sim("/emit", {
      frame: {
        type: "OrderProfit",
        session_id: sessionId,
        data: { balance: 100_000, equity: 95_300 },
      },
      session_id: sessionId,
    });
    const after = await eventually(
      async () => {
        const res = await api("GET", "/v1/monitor");
        return res.body.events.applied > before.body.events.applied ? res : null;
      },
      10_000,
      "the event applied",
    );
    expect(after.status).toBe(200);
    expect(after.body.connection).toMatchObject({
      state: "open",
      url: expect.stringMatching(/^wss?:\/\//),
      connected_since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      last_message_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(after.body.subscriptions).toBe(before.body.subscriptions + 1);
    const delta = (k: string) => after.body.events[k] - before.body.events[k];
    expect(delta("applied")).toBe(1);
    expect(delta("received")).toBeGreaterThanOrEqual(1);
    for (const k of ["unroutable", "unsubscribed", "invalid", "stale"]) expect(delta(k), k).toBe(0);
    // The reading written, nothing waits.
    await eventually(
      async () => (await getAccount(account.id)).metrics?.equity === 95_300,
      10_000,
      "reading written",
    );
    expect((await api("GET", "/v1/monitor")).body.pending_writes).toBe(0);
    expect((await api("DELETE", `/v1/accounts/${account.id}/live`)).status).toBe(200);
    expect((await api("GET", "/v1/monitor")).body.subscriptions).toBe(before.body.subscriptions);
  });
});
