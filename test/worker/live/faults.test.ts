import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { accounts } from "../../../src/db/schema.ts";
import {
  createTestAccount,
  createTestAccounts,
  eventually,
  getAccount,
  violationsOf,
  withTestDb,
  database,
} from "../helpers.ts";
import { emit, freshMonitor, goLive, simState, simWait } from "./live-helpers.ts";
import { sim, trackMonitor } from "../helpers.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import { toSubscribeInput } from "../../../src/live/client/handoff.ts";
import { initialState, tradingDayAt, type RiskState } from "../../../src/risk/index.ts";
import type { AccountRow } from "../../../src/db/schema.ts";

/** Marks an account live and subscribes it with a given risk state. */
async function goLiveWith(
  monitor: DurableObjectStub<LiveMonitor>,
  row: AccountRow,
  risk: RiskState,
): Promise<void> {
  await withTestDb((db) =>
    db.update(accounts).set({ monitoringState: "live" }).where(eq(accounts.id, row.id)),
  );
  await monitor.subscribe([toSubscribeInput(row, risk)]);
}

/** Longer than any capped backoff (reconnect and writer retries cap at 30 s). */
const BEYOND_CAP_MS = 35_000;

function counts(ids: string[], n: number): Record<string, number> {
  return Object.fromEntries(ids.map((id) => [id, n]));
}

describe("the live monitor under faults", () => {
  it("resubscribes every account after the service drops the connection", async () => {
    const monitor = freshMonitor();
    const rows = await createTestAccounts(3, { inSim: false });
    await goLive(monitor, rows);
    const ids = rows.map((r) => r.sessionId);
    await simWait({ subscribed: ids, subscribe_count_at_least: counts(ids, 1) });
    await sim("/drop", {});
    await simWait({ subscribed: ids, subscribe_count_at_least: counts(ids, 2) }, 10_000);
    const status = await eventually(
      async () => {
        const s = await monitor.status();
        return s.connection.state === "open" ? s : null;
      },
      5_000,
      "link open again",
    );
    expect(status.connection.reconnects).toBeGreaterThanOrEqual(1);
    expect(status.subscriptions).toBe(3);
  });

  it("backs off while the service refuses connections, then recovers", async () => {
    const monitor = freshMonitor();
    const rows = await createTestAccounts(2, { inSim: false });
    await goLive(monitor, rows);
    const ids = rows.map((r) => r.sessionId);
    await simWait({ subscribed: ids });
    const before = await simState();
    await sim("/refuse", { seconds: 3 });
    await eventually(
      async () => (await monitor.status()).connection.state !== "open",
      5_000,
      "link lost",
    );
    // Every subscription comes back once the service accepts connections again; the wait
    // is longer than the backoff's cap (30 s), so a loaded machine's late retry still counts.
    await simWait({ subscribed: ids, subscribe_count_at_least: counts(ids, 2) }, BEYOND_CAP_MS);
    const after = await simState();
    const attempts = after.refused - before.refused;
    expect(attempts).toBeGreaterThanOrEqual(1);
    // Capped exponential backoff: a handful of attempts in 3 s, not a tight loop.
    expect(attempts).toBeLessThan(15);
    expect((await monitor.status()).connection.state).toBe("open");
  }, 60_000);

  it("lands a violation exactly once after the database comes back", async () => {
    const monitor = freshMonitor();
    const [a, keep] = await Promise.all([
      createTestAccount({ equity: 95_400 }),
      createTestAccount(),
    ]);
    await goLive(monitor, [a!, keep!]);
    await simWait({ subscribed: [a!.sessionId, keep!.sessionId] });
    await database("down");
    try {
      await emit({
        type: "OrderProfit",
        session_id: a!.sessionId,
        data: { balance: 100_000, equity: 94_000 },
      });
      const pending = await eventually(
        async () => {
          const s = await monitor.status();
          return s.pending_writes >= 1 ? s : null;
        },
        5_000,
        "breach queued in the outbox",
      );
      expect(pending.pending_writes).toBe(1);
      // Still watched while Postgres does not know it left live (nobody else watches it).
      expect(pending.subscriptions).toBe(2);
      // A flush attempt while the database is down fails and keeps the entry.
      await monitor.flushNow();
      expect((await monitor.status()).pending_writes).toBe(1);
    } finally {
      await database("up");
    }
    // Longer than the writer's retry cap (30 s).
    await eventually(
      async () => (await monitor.status()).pending_writes === 0,
      BEYOND_CAP_MS,
      "outbox drained",
    );
    await monitor.flushNow();
    expect((await monitor.status()).subscriptions).toBe(1);
    const v = await violationsOf([a!.id]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "daily_loss", equity: 94_000, source: "event" });
    expect((await getAccount(a!.id)).status).toBe("breached");
  }, 60_000);

  it("recovers its subscriptions from storage after the object is aborted", async () => {
    const name = `test-monitor-${crypto.randomUUID()}`;
    const monitor = trackMonitor(name);
    const rows = await createTestAccounts(3, { inSim: false });
    await goLive(monitor, rows);
    const ids = rows.map((r) => r.sessionId);
    await simWait({ subscribed: ids, subscribe_count_at_least: counts(ids, 1) });
    // Resolves or rejects depending on the runtime version ("Application called
    // abortAllDurableObjects()"); either way the object and its socket are gone.
    await abortAllDurableObjects().catch((err: unknown) =>
      expect(String(err)).toMatch(/abortAllDurableObjects/),
    );
    await simWait({ unsubscribed: ids });
    // A fresh instance rebuilds everything from storage; its alarm (the watchdog) reconnects.
    const revived = env.LIVE_MONITOR.getByName(name);
    expect((await revived.status()).subscriptions).toBe(3);
    expect(await runDurableObjectAlarm(revived)).toBe(true);
    await simWait({ subscribed: ids, subscribe_count_at_least: counts(ids, 2) }, 10_000);
  });
});

describe("the live monitor's watchdog", () => {
  it("re-reads a quiet live account over REST: a quiet link is not a dead one", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    const linkBefore = (await monitor.status()).connection;
    const simBefore = await simState();
    expect(linkBefore.state).toBe("open");
    await runInDurableObject(monitor, (instance: LiveMonitor) => {
      instance.settings.staleMs = 0;
    });
    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    await simWait({ reads_at_least: { [a.sessionId]: 1 } });
    await monitor.flushNow();
    const row = await getAccount(a.id);
    expect(row.metrics).toMatchObject({ equity: 95_400, balance: 100_000, source: "poll" });
    expect(row.monitoringState).toBe("live");
    // The link was not taken for dead: same connection, no reconnect, no new socket.
    const linkAfter = (await monitor.status()).connection;
    expect(linkAfter).toMatchObject({
      state: "open",
      reconnects: linkBefore.reconnects,
      connected_since: linkBefore.connected_since,
    });
    expect((await simState()).total_connections).toBe(simBefore.total_connections);
  });

  it("rolls a live account's trading day over at the boundary from the balance known before it, then re-reads it", async () => {
    const monitor = freshMonitor();
    // After the boundary the account reads 100 000 / 97 400 ...
    const a = await createTestAccount({ balance: 100_000, equity: 97_400 });
    // ... and the state handed over was opened two days ago at 102 000 / 101 000: its day has
    // ended whatever the time of day now (two days is more than any trading day, DST or not).
    const before = Date.now() - 48 * 3_600_000;
    const risk = initialState(
      a.rules,
      { balance: 102_000, equity: 101_000, at: before, source: "poll" },
      "live",
    );
    expect(risk.day_end_ms).toBeLessThanOrEqual(Date.now());
    await goLiveWith(monitor, a, risk);
    await simWait({ subscribed: [a.sessionId] });
    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    await simWait({ reads_at_least: { [a.sessionId]: 1 } });
    await monitor.flushNow();
    const row = await getAccount(a.id);
    // The trading day of the reading itself, not of the clock now: no race with the boundary.
    const readAt = row.riskState!.last_at;
    const { timezone, hour } = a.rules.daily_reset;
    const day = tradingDayAt(readAt, timezone, hour).day;
    expect(day).not.toBe(risk.trading_day);
    expect(row.riskState?.trading_day).toBe(day);
    // day_start is the balance known before the boundary (102 000), not the new reading's.
    expect(row.metrics).toMatchObject({
      trading_day: day,
      day_start: 102_000,
      daily_floor: 97_000,
      balance: 100_000,
      equity: 97_400,
    });
  });
});
