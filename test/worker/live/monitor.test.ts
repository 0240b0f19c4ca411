import { describe, expect, it } from "vitest";
import { toSubscribeInput } from "../../../src/live/client/handoff.ts";
import {
  createTestAccount,
  createTestAccounts,
  eventually,
  getAccount,
  violationsOf,
} from "../helpers.ts";
import { emit, freshMonitor, goLive, simState, simWait } from "./live-helpers.ts";

describe("the live monitor", () => {
  it("runs the seed's three-account scenario on one shared connection", async () => {
    const monitor = freshMonitor();
    const before = await simState();
    const [a1, a2, a3] = await Promise.all([
      createTestAccount(),
      createTestAccount(),
      createTestAccount(),
    ]);

    // Account 1 enters live monitoring: the shared connection is created and it subscribes.
    await goLive(monitor, [a1!]);
    await simWait({ subscribed: [a1!.sessionId] });
    // Accounts 2 and 3 reuse the same connection.
    await goLive(monitor, [a2!]);
    await goLive(monitor, [a3!]);
    const after = await simWait({ subscribed: [a2!.sessionId, a3!.sessionId] });
    expect(after.total_connections - before.total_connections).toBe(1);
    expect((await monitor.status()).connection.state).toBe("open");

    // An event for account 2 is routed to it: its figures are recomputed and written.
    await emit({
      type: "OrderProfit",
      session_id: a2!.sessionId,
      data: { balance: 100_000, equity: 99_000 },
    });
    await eventually(
      async () => (await monitor.status()).events.applied >= 1,
      5_000,
      "event applied",
    );
    await monitor.flushNow();
    const row2 = await getAccount(a2!.id);
    expect(row2.metrics).toMatchObject({ equity: 99_000, source: "event" });
    expect(row2.metrics?.usage.overall).toBeCloseTo(20, 5);
    expect((await getAccount(a1!.id)).metrics).toBeNull();

    // Account 2's usage is below 90%: it leaves live monitoring and is unsubscribed.
    await eventually(
      async () => (await monitor.subscriptions()).length === 2,
      5_000,
      "account 2 released",
    );
    await simWait({ unsubscribed: [a2!.sessionId] });
    await eventually(
      async () => (await getAccount(a2!.id)).monitoringState === "polling",
      5_000,
      "account 2 polling",
    );

    // When the last account leaves, the connection closes.
    await monitor.unsubscribe([a1!.id, a3!.id]);
    await simWait({ unsubscribed: [a1!.sessionId, a3!.sessionId] });
    expect((await monitor.status()).connection.state).toBe("closed");
  });

  it("records a breach once, marks the account breached and unsubscribes it", async () => {
    const monitor = freshMonitor();
    const [a, other] = await Promise.all([
      createTestAccount({ balance: 100_000, equity: 95_100 }),
      createTestAccount(),
    ]);
    // A second account keeps the shared connection open after the first one leaves.
    await goLive(monitor, [a!, other!]);
    await simWait({ subscribed: [a!.sessionId] });
    await emit({
      type: "OrderProfit",
      session_id: a!.sessionId,
      data: { balance: 100_000, equity: 94_999.99 },
    });
    await emit({
      type: "OrderProfit",
      session_id: a!.sessionId,
      data: { balance: 100_000, equity: 94_000 },
    });
    await eventually(
      async () => (await getAccount(a!.id)).status === "breached",
      5_000,
      "breached",
    );
    await simWait({ unsubscribed: [a!.sessionId] });
    // The event after the breach found the account leaving (still watched until Postgres had
    // the breach: applied, nothing new to record) or gone: counted either way.
    await eventually(
      async () => {
        const { events } = await monitor.status();
        return events.applied + events.unsubscribed === 2;
      },
      5_000,
      "late event counted",
    );
    const v = await violationsOf([a!.id]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      rule: "daily_loss",
      equity: 94_999.99,
      floor: 95_000,
      source: "event",
    });
    const row = await getAccount(a!.id);
    expect(row.monitoringState).toBe("polling");
    expect((await monitor.status()).subscriptions).toBe(1);
  });

  it("routes by session_id, then login+server, then account_id, and never applies the rest", async () => {
    const monitor = freshMonitor();
    // Daily usage stays inside the 90-97% band throughout: the account stays live.
    const a = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    const applied = async (n: number) =>
      eventually(async () => (await monitor.status()).events.applied >= n, 5_000, `${n} applied`);
    await emit({
      type: "OrderProfit",
      id: a.sessionId,
      timestampUTC: Date.now(),
      data: { Balance: 100_000, Equity: 95_300 },
    });
    await applied(1);
    await emit({
      type: "EquityUpdate",
      login: a.login,
      server: a.server,
      equity: 95_250,
      balance: 100_000,
    });
    await applied(2);
    await emit({
      event: "equityUpdate",
      account_id: a.id,
      equity: "95200.5",
      ts: new Date().toISOString(),
    });
    await applied(3);
    // No key at all: unroutable. Keys of nobody we watch: unsubscribed. Neither moves the account.
    await emit({ type: "OrderProfit", data: { equity: 1 } });
    await emit({ type: "OrderProfit", session_id: "someone-else", equity: 2 });
    await emit({ type: "EquityUpdate", login: a.login, server: "Other-Server", equity: 3 });
    await eventually(
      async () => {
        const s = await monitor.status();
        return s.events.unroutable === 1 && s.events.unsubscribed === 2 ? s : null;
      },
      5_000,
      "unroutable and unsubscribed counted",
    );
    await monitor.flushNow();
    expect((await getAccount(a.id)).metrics?.equity).toBe(95_200.5);
    expect((await monitor.status()).unroutable_samples[0]).toContain("equity");
  });

  it("opens exactly one connection for 100 concurrent subscribe calls", async () => {
    const monitor = freshMonitor();
    const before = await simState();
    const rows = await createTestAccounts(100, { inSim: false, monitoring_state: "live" });
    await Promise.all(rows.map((r) => monitor.subscribe([toSubscribeInput(r)])));
    await simWait({ subscribed: rows.map((r) => r.sessionId) }, 15_000);
    const after = await simState();
    expect(after.total_connections - before.total_connections).toBe(1);
    expect((await monitor.status()).subscriptions).toBe(100);
  });

  it("counts and skips a flood of malformed frames while the link stays up", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    // The account's first event carries its balance; the later one without balance keeps it.
    await emit({
      type: "OrderProfit",
      session_id: a.sessionId,
      data: { balance: 100_000, equity: 95_400 },
    });
    const before = await simState();
    const bad: unknown[] = [
      "not json {",
      "[1, 2",
      "42",
      "[]",
      { type: "OrderProfit", session_id: a.sessionId, equity: "abc" },
      { hello: "world" },
    ];
    for (let i = 0; i < 50; i++)
      for (const frame of bad) await emit(frame, { session_id: a.sessionId });
    await emit("\u00ff\u00fe garbage", { session_id: a.sessionId, binary: true });
    await emit(
      [
        { type: "OrderUpdate", session_id: a.sessionId },
        { type: "orderProfit", sessionId: a.sessionId, equity: "95300.50" },
      ],
      { session_id: a.sessionId, binary: true },
    );
    const s = await eventually(
      async () => {
        const st = await monitor.status();
        return st.events.applied === 2 ? st : null;
      },
      5_000,
      "the good events applied",
    );
    // 50 x (not json, truncated array, number, bad equity, no type/equity) + the garbage binary frame.
    expect(s.events.invalid).toBe(50 * 5 + 1);
    expect(s.events.no_equity).toBe(1);
    expect(s.connection.state).toBe("open");
    expect((await simState()).total_connections).toBe(before.total_connections);
    await monitor.flushNow();
    expect((await getAccount(a.id)).metrics?.equity).toBe(95_300.5);
  });
});
