/**
 * A live breach acted on inside its monitor shard (docs/enforcement.md, "Execution"): the
 * action committed with the violation by the shard's writer is run by the shard itself, at
 * once, without the cron; it survives an eviction (the alarm resumes it) and a database
 * outage (retried with backoff); the cron's pass beside it never makes a ticket close twice.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, enforcementActions, enforcementSteps } from "../../../src/db/schema.ts";
import { enforcementPass } from "../../../src/enforce/run.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import {
  createTestAccount,
  database,
  eventually,
  sim,
  trackMonitor,
  withTestDb,
} from "../helpers.ts";
import { closeCounts, e18Orders } from "./e18.ts";
import { emit, goLive, simWait } from "../live/live-helpers.ts";

const ORDERS = e18Orders(7000);

const counts = closeCounts;

/** A live account (enforcement on, max_loss closes all and locks) breached by one event. */
async function liveBreach(script: Record<string, unknown> = {}, mode: "on" | "dry_run" = "on") {
  const name = `test-monitor-${crypto.randomUUID()}`;
  const monitor = trackMonitor(name);
  const a = await createTestAccount({
    initial_balance: 100_000,
    balance: 100_000,
    equity: 100_000,
  });
  await withTestDb((db) =>
    db
      .update(accounts)
      .set({
        enforcement: mode,
        rules: sql`${accounts.rules} || '{"consequences": {"max_loss": "close_all_and_lock"}}'::jsonb`,
      })
      .where(eq(accounts.id, a.id)),
  );
  const [row] = await withTestDb((db) => db.select().from(accounts).where(eq(accounts.id, a.id)));
  await sim(`/orders/${a.sessionId}`, { opened: ORDERS }, "PUT");
  await sim(`/close/${a.sessionId}`, script, "PUT");
  await goLive(monitor, [row!]);
  await simWait({ subscribed: [a.sessionId] });
  await emit({
    type: "OrderProfit",
    session_id: a.sessionId,
    data: { balance: 100_000, equity: 89_000 },
  });
  // The breach reaches Postgres; the commit hands its action to the shard.
  await eventually(
    async () => {
      await monitor.flushNow();
      const [v] = await withTestDb((db) =>
        db.select().from(enforcementActions).where(eq(enforcementActions.accountId, a.id)),
      );
      return v;
    },
    10_000,
    "the action committed",
  );
  return { a, name, monitor };
}

async function actionOf(accountId: number) {
  const [action] = await withTestDb((db) =>
    db
      .select()
      .from(enforcementActions)
      .where(eq(enforcementActions.accountId, accountId))
      .orderBy(asc(enforcementActions.id)),
  );
  return action!;
}

async function stepsOf(actionId: number) {
  return withTestDb((db) =>
    db
      .select()
      .from(enforcementSteps)
      .where(eq(enforcementSteps.actionId, actionId))
      .orderBy(asc(enforcementSteps.ticket)),
  );
}

/** Moves a monitor's clock `ms` ahead of real time. */
const ahead = (monitor: DurableObjectStub<LiveMonitor>, ms: number) =>
  runInDurableObject(monitor, (instance: LiveMonitor) => {
    instance.clock = () => Date.now() + ms;
  });

describe("a live breach acted on by its monitor shard", () => {
  it("E18 by event: the shard closes both positions and cancels the order, each once, with no cron pass", async () => {
    const { a, monitor } = await liveBreach();
    expect(await monitor.enforceNow()).toEqual({ held: 0 });
    const action = await actionOf(a.id);
    expect(action).toMatchObject({ kind: "close_all", state: "done", dryRun: false });
    expect((await stepsOf(action.id)).map((s) => [s.ticket, s.state, s.sends])).toEqual([
      [7001, "done", 1],
      [7002, "done", 1],
      [7003, "done", 1],
    ]);
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 7001: 1, 7002: 1, 7003: 1 },
      sends_to_closed: 0,
    });
  });

  it("survives an eviction: an action waiting for the market is resumed by the revived shard's alarm", async () => {
    const { a, name, monitor } = await liveBreach({ faults: ["market_closed"] });
    expect(await monitor.enforceNow()).toEqual({ held: 1 });
    expect((await actionOf(a.id)).state).toBe("running");
    await abortAllDurableObjects().catch((err: unknown) =>
      expect(String(err)).toMatch(/abortAllDurableObjects/),
    );
    const revived = env.LIVE_MONITOR.getByName(name);
    // The market's wait (60 s) is over on the revived shard's clock.
    await ahead(revived, 61_000);
    expect(await runDurableObjectAlarm(revived)).toBe(true);
    // The alarm alone resumes it (no cron pass, no call to the shard).
    await eventually(async () => (await actionOf(a.id)).state === "done", 10_000, "resumed");
    expect(await revived.enforceNow()).toEqual({ held: 0 });
    expect(await counts(a.sessionId)).toMatchObject({
      // 7001: refused by the closed market (nothing executed), then filled.
      sends: { 7001: 2, 7002: 1, 7003: 1 },
      sends_to_closed: 0,
    });
  });

  it("survives a database outage: retried with backoff until Postgres is back, then finishes once", async () => {
    const { a, monitor } = await liveBreach({ faults: ["market_closed"] });
    expect(await monitor.enforceNow()).toEqual({ held: 1 });
    await database("down");
    try {
      await ahead(monitor, 61_000);
      expect(await monitor.enforceNow()).toEqual({ held: 1 });
      const failures = await runInDurableObject(
        monitor,
        (_i: LiveMonitor, state) =>
          state.storage.sql.exec<{ failures: number }>("SELECT failures FROM enforce").one()
            .failures,
      );
      expect(failures).toBe(1);
    } finally {
      await database("up");
    }
    // Past the 1 s backoff.
    await ahead(monitor, 63_000);
    expect(await monitor.enforceNow()).toEqual({ held: 0 });
    expect((await actionOf(a.id)).state).toBe("done");
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 7001: 2, 7002: 1, 7003: 1 },
      sends_to_closed: 0,
    });
  });

  it("the cron's pass beside the shard: one of them runs it (the lease), no ticket closed twice", async () => {
    const { a, monitor } = await liveBreach({ faults: ["market_closed"] });
    expect(await monitor.enforceNow()).toEqual({ held: 1 });
    await ahead(monitor, 61_000);
    // The cron's runner decides by real time (the market still closed): it may claim the
    // action and let it go again; the shard retries until it holds the lease.
    for (let i = 0; i < 5 && (await actionOf(a.id)).state !== "done"; i++) {
      await Promise.all([
        monitor.enforceNow(),
        withTestDb((db) => enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" })),
      ]);
      await ahead(monitor, 61_000 + (i + 1) * 35_000);
    }
    expect((await actionOf(a.id)).state).toBe("done");
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 7001: 2, 7002: 1, 7003: 1 },
      sends_to_closed: 0,
    });
    // The lock guard left the locked account to its running action (no second action).
    const all = await withTestDb((db) =>
      db.select().from(enforcementActions).where(eq(enforcementActions.accountId, a.id)),
    );
    expect(all.map((x) => x.kind)).toEqual(["close_all"]);
  });

  it("a position opened while locked is closed at once from its order event, with no cron pass", async () => {
    const { a, monitor } = await liveBreach();
    expect(await monitor.enforceNow()).toEqual({ held: 0 });
    expect(
      (await withTestDb((db) => db.select().from(accounts).where(eq(accounts.id, a.id))))[0]!
        .lockedAt,
    ).not.toBeNull();
    // The breached account left live monitoring, but the shard still hears its order events.
    expect((await monitor.status()).subscriptions).toBe(0);
    // Watched with its token sealed in the shard's storage, as the subscriptions' are.
    const stored = await runInDurableObject(monitor, (_i: LiveMonitor, state) =>
      state.storage.sql.exec<{ session_id: string }>("SELECT session_id FROM lock_watch").toArray(),
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.session_id).not.toContain(a.sessionId);
    await sim(`/orders/${a.sessionId}/open`, {
      ticket: 7010,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: 1,
      openPrice: 1.2,
    });
    await eventually(
      async () => (await counts(a.sessionId)).sends["7010"] === 1,
      10_000,
      "the new position closed",
    );
    await monitor.enforceNow();
    const all = await withTestDb((db) =>
      db
        .select()
        .from(enforcementActions)
        .where(eq(enforcementActions.accountId, a.id))
        .orderBy(asc(enforcementActions.id)),
    );
    expect(all.map((x) => [x.kind, x.state])).toEqual([
      ["close_all", "done"],
      ["lock_guard", "done"],
    ]);
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 7001: 1, 7002: 1, 7003: 1, 7010: 1 },
      sends_to_closed: 0,
    });
  });

  it("dry run by event: the same decisions recorded (the lock too), nothing sent, the account neither locked nor watched", async () => {
    const { a, monitor } = await liveBreach({}, "dry_run");
    expect(await monitor.enforceNow()).toEqual({ held: 0 });
    const action = await actionOf(a.id);
    expect(action).toMatchObject({ state: "done", dryRun: true, lock: true });
    expect((await stepsOf(action.id)).map((s) => [s.ticket, s.state, s.sends])).toEqual([
      [7001, "decided", 0],
      [7002, "decided", 0],
      [7003, "decided", 0],
    ]);
    expect((await counts(a.sessionId)).sends).toEqual({});
    const [row] = await withTestDb((db) => db.select().from(accounts).where(eq(accounts.id, a.id)));
    expect(row!.lockedAt).toBeNull();
    const watched = await runInDurableObject(
      monitor,
      (_i: LiveMonitor, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM lock_watch").one().n,
    );
    expect(watched).toBe(0);
  });

  it("the watch of a locked account survives an eviction: the revived shard subscribes it again and closes a new position", async () => {
    const { a, name, monitor } = await liveBreach();
    expect(await monitor.enforceNow()).toEqual({ held: 0 });
    await abortAllDurableObjects().catch((err: unknown) =>
      expect(String(err)).toMatch(/abortAllDurableObjects/),
    );
    const revived = env.LIVE_MONITOR.getByName(name);
    await revived.ensureRunning();
    await simWait({ subscribed: [a.sessionId] });
    await sim(`/orders/${a.sessionId}/open`, {
      ticket: 7011,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: 1,
      openPrice: 1.2,
    });
    await eventually(
      async () => (await counts(a.sessionId)).sends["7011"] === 1,
      10_000,
      "the new position closed by the revived shard",
    );
    expect((await counts(a.sessionId)).sends_to_closed).toBe(0);
  });
});
