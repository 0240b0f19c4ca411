/**
 * monitor.degraded / monitor.recovered (docs/alerts.md): a health change of the monitor is
 * announced once, kept across a database outage, and delivered signed to a receiver.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { webhookMessages } from "../../../src/db/schema.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import { createTestAccount, eventually, withTestDb, database } from "../helpers.ts";
import { deleteAllEndpoints, receivedBy, registerHook } from "../alerts/sink-helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "./live-helpers.ts";

afterEach(deleteAllEndpoints);

/** The monitor.* messages stored for monitor `name`, oldest first. */
async function healthMessages(name: string) {
  return withTestDb((db) =>
    db
      .select()
      .from(webhookMessages)
      .where(
        sql`${webhookMessages.type} like 'monitor.%' and ${webhookMessages.payload} -> 'data' ->> 'monitor' = ${name}`,
      )
      .orderBy(webhookMessages.createdAt),
  );
}

/** Runs one heartbeat of the monitor now (its alarm, set to now first). */
async function heartbeat(monitor: DurableObjectStub<LiveMonitor>): Promise<void> {
  await runInDurableObject(monitor, (_i: LiveMonitor, state) => state.storage.setAlarm(Date.now()));
  expect(await runDurableObjectAlarm(monitor)).toBe(true);
}

/** The monitor's name as the tests address it. */
async function nameOf(monitor: DurableObjectStub<LiveMonitor>): Promise<string> {
  return runInDurableObject(monitor, (_i: LiveMonitor, state) => state.id.name!);
}

describe("monitor health alerts", () => {
  it("announces monitor.degraded once when writes stall in a database outage and monitor.recovered once after, signed to the receiver", async () => {
    const hook = await registerHook({ events: ["monitor.degraded", "monitor.recovered"] });
    const monitor = freshMonitor();
    const name = await nameOf(monitor);
    const a = await createTestAccount({ equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    expect((await monitor.status()).health).toBe("ok");

    await database("down");
    try {
      await emit({
        type: "OrderProfit",
        session_id: a.sessionId,
        data: { balance: 100_000, equity: 94_000 },
      });
      await eventually(
        async () => (await monitor.status()).pending_writes >= 1,
        5_000,
        "breach queued",
      );
      // The breach has waited past the threshold (60 s): its outbox entry is two minutes old.
      await runInDurableObject(monitor, (_i: LiveMonitor, state) => {
        state.storage.sql.exec("UPDATE outbox SET created_at = ?", Date.now() - 120_000);
      });
      await heartbeat(monitor);
      expect((await monitor.status()).reasons).toContain("writes_stalled");
      // A second heartbeat in the same state is no new change.
      await heartbeat(monitor);
    } finally {
      await database("up");
    }
    // Postgres is back: the kept change is recorded at the next heartbeat, once.
    await heartbeat(monitor);
    let messages = await healthMessages(name);
    expect(messages.map((m) => m.type)).toEqual(["monitor.degraded"]);
    expect(messages[0]!.payload.data).toMatchObject({
      health: "degraded",
      reasons: expect.arrayContaining(["writes_stalled"]),
    });

    await monitor.flushNow();
    await heartbeat(monitor);
    await heartbeat(monitor);
    messages = await healthMessages(name);
    expect(messages.map((m) => m.type)).toEqual(["monitor.degraded", "monitor.recovered"]);
    expect(messages[1]!.payload.data).toMatchObject({ health: "ok", reasons: [] });

    const got = await eventually(
      async () => {
        const all = (await receivedBy(hook.hook)).filter(
          (r) => JSON.parse(r.body).data.monitor === name,
        );
        return all.length >= 2 ? all : null;
      },
      10_000,
      "both alerts at the receiver",
    );
    const types = got.map(
      (r) => (new Webhook(hook.secret).verify(r.body, r.headers) as { type: string }).type,
    );
    expect(types.sort()).toEqual(["monitor.degraded", "monitor.recovered"]);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(2);
  }, 60_000);

  it("keeps the last announced health across an eviction: a degraded monitor woken again does not announce it twice", async () => {
    const monitor = freshMonitor();
    const name = await nameOf(monitor);
    const a = await createTestAccount();
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    // The account has gone unheard of for five minutes (past the 90 s window).
    const stale = (m: DurableObjectStub<LiveMonitor>) =>
      runInDurableObject(m, (instance: LiveMonitor) => {
        const subs = (instance as unknown as { subs: { values(): Iterable<StaleFields> } }).subs;
        for (const s of subs.values()) {
          s.subscribedAt = s.lastEventAt = s.lastRestAt = Date.now() - 300_000;
          if (s.risk) s.risk = { ...s.risk, last_at: Date.now() - 300_000 };
        }
        instance.settings.staleMs = 3_600_000;
      });
    await stale(monitor);
    await heartbeat(monitor);
    expect((await healthMessages(name)).map((m) => m.type)).toEqual(["monitor.degraded"]);

    await abortAllDurableObjects().catch((err: unknown) =>
      expect(String(err)).toMatch(/abortAllDurableObjects/),
    );
    // A fresh instance from storage, still degraded: nothing new to announce.
    const revived = env.LIVE_MONITOR.getByName(name);
    await stale(revived);
    await heartbeat(revived);
    expect((await revived.status()).health).toBe("degraded");
    expect((await healthMessages(name)).map((m) => m.type)).toEqual(["monitor.degraded"]);
  });
});

/** The fields of a subscription the eviction test ages. */
interface StaleFields {
  subscribedAt: number;
  lastEventAt: number;
  lastRestAt: number;
  risk: { last_at: number } | null;
}
