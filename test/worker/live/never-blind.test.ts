/**
 * Faults that used to blind the monitor silently (issue "Never blind"): each test fails on
 * the code before its fix.
 */
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts } from "../../../src/db/schema.ts";
import { toSubscribeInput } from "../../../src/live/client/handoff.ts";
import type { RuleParams } from "../../../src/risk/index.ts";
import {
  createTestAccount,
  eventually,
  getAccount,
  violationsOf,
  withTestDb,
  runCron,
} from "../helpers.ts";
import { emit, freshMonitor, simWait } from "./live-helpers.ts";

/** The rules with a reset time zone no runtime knows (as if set in SQL). */
function brokenRules(rules: RuleParams): RuleParams {
  return { ...rules, daily_reset: { ...rules.daily_reset, timezone: "Mars/Olympus" } };
}

describe("the monitor never goes blind", () => {
  it("applies every item of a batched frame even when one account's rules cannot be evaluated", async () => {
    const monitor = freshMonitor();
    const [bad, near] = await Promise.all([
      createTestAccount(),
      createTestAccount({ equity: 95_400 }),
    ]);
    await withTestDb((db) =>
      db.update(accounts).set({ monitoringState: "live" }).where(eq(accounts.id, near!.id)),
    );
    await monitor.subscribe([
      { ...toSubscribeInput(bad!), rules: brokenRules(bad!.rules) },
      toSubscribeInput({ ...near!, monitoringState: "live" }),
    ]);
    await simWait({ subscribed: [bad!.sessionId, near!.sessionId] });
    await emit(
      [
        {
          type: "OrderProfit",
          session_id: bad!.sessionId,
          data: { balance: 100_000, equity: 99_000 },
        },
        {
          type: "OrderProfit",
          session_id: near!.sessionId,
          data: { balance: 100_000, equity: 94_000 },
        },
      ],
      { session_id: near!.sessionId },
    );
    await eventually(
      async () => (await monitor.status()).events.applied >= 1,
      5_000,
      "the good item applied",
    );
    await monitor.flushNow();
    expect(await violationsOf([near!.id])).toHaveLength(1);
    expect((await getAccount(bad!.id)).problem).toBe("invalid_rules");
  });

  it("does not let an event stamped a day ahead make later events stale", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ equity: 95_400 });
    await withTestDb((db) =>
      db.update(accounts).set({ monitoringState: "live" }).where(eq(accounts.id, a.id)),
    );
    await monitor.subscribe([toSubscribeInput({ ...a, monitoringState: "live" })]);
    await simWait({ subscribed: [a.sessionId] });
    const now = Date.now();
    await emit(
      [
        {
          type: "OrderProfit",
          session_id: a.sessionId,
          timestamp: now + 86_400_000,
          data: { balance: 100_000, equity: 95_300 },
        },
        {
          type: "OrderProfit",
          session_id: a.sessionId,
          timestamp: now,
          data: { balance: 100_000, equity: 94_000 },
        },
      ],
      { session_id: a.sessionId },
    );
    const status = await eventually(
      async () => {
        const s = await monitor.status();
        return s.events.applied >= 1 ? s : null;
      },
      5_000,
      "the honest event applied",
    );
    expect(status.events.invalid).toBe(1);
    expect(status.invalid_samples).toHaveLength(1);
    await monitor.flushNow();
    expect(await violationsOf([a.id])).toHaveLength(1);
  });

  it("sweeps every other account when one account's rules cannot be evaluated", async () => {
    const [bad, good] = await Promise.all([
      createTestAccount(),
      createTestAccount({ equity: 99_000 }),
    ]);
    await withTestDb((db) =>
      db
        .update(accounts)
        .set({ rules: brokenRules(bad!.rules) })
        .where(eq(accounts.id, bad!.id)),
    );
    try {
      await runCron();
      expect((await getAccount(bad!.id)).problem).toBe("invalid_rules");
      expect((await getAccount(good!.id)).metrics?.equity).toBe(99_000);
    } finally {
      await withTestDb((db) =>
        db.update(accounts).set({ status: "disabled" }).where(eq(accounts.id, bad!.id)),
      );
    }
  });
});

describe("the outbox never blocks on one entry", () => {
  it("lands later breaches when an earlier entry's account was hard-deleted, and counts the deleted one done", async () => {
    const monitor = freshMonitor();
    const [gone, next] = await Promise.all([
      createTestAccount({ equity: 95_400 }),
      createTestAccount({ equity: 95_400 }),
    ]);
    await withTestDb((db) =>
      db
        .update(accounts)
        .set({ monitoringState: "live" })
        .where(inArray(accounts.id, [gone!.id, next!.id])),
    );
    await monitor.subscribe([
      toSubscribeInput({ ...gone!, monitoringState: "live" }),
      toSubscribeInput({ ...next!, monitoringState: "live" }),
    ]);
    await simWait({ subscribed: [gone!.sessionId, next!.sessionId] });
    await withTestDb((db) => db.delete(accounts).where(eq(accounts.id, gone!.id)));
    await emit(
      [
        {
          type: "OrderProfit",
          session_id: gone!.sessionId,
          data: { balance: 100_000, equity: 94_000 },
        },
        {
          type: "OrderProfit",
          session_id: next!.sessionId,
          data: { balance: 100_000, equity: 94_000 },
        },
      ],
      { session_id: next!.sessionId },
    );
    await eventually(
      async () => (await monitor.status()).subscriptions === 0,
      5_000,
      "both breaches queued",
    );
    await monitor.flushNow();
    expect((await monitor.status()).pending_writes).toBe(0);
    expect(await violationsOf([next!.id])).toHaveLength(1);
    expect((await getAccount(next!.id)).status).toBe("breached");
    expect(await monitor.deadLetters()).toEqual([]);
  });
});
