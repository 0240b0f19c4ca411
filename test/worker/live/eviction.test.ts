import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import type { RiskState } from "../../../src/risk/index.ts";
import {
  createTestAccount,
  eventually,
  getAccount,
  trackMonitor,
  violationsOf,
  database,
} from "../helpers.ts";
import { emit, goLive, simWait } from "./live-helpers.ts";

/** The risk state per account the object holds in memory. */
function risks(monitor: DurableObjectStub<LiveMonitor>): Promise<Record<number, RiskState | null>> {
  return runInDurableObject(monitor, (instance: LiveMonitor) => {
    const subs = (
      instance as unknown as {
        subs: { values(): Iterable<{ accountId: number; risk: RiskState | null }> };
      }
    ).subs;
    return Object.fromEntries([...subs.values()].map((s) => [s.accountId, s.risk]));
  });
}

/*
 * Checked red by hand (issue 16): an outbox that does not survive the object (emptied in the
 * constructor) fails on `pending_writes: 1` after the abort; a release that does not persist
 * the breaching risk state (no `saveRisk` beside the enqueue in LiveMonitor.commit) fails on
 * the restored risk state.
 */
describe("the live monitor's outbox across an eviction", () => {
  it("lands a breach queued during an outage exactly once after the object is aborted and the database comes back", async () => {
    const name = `test-monitor-${crypto.randomUUID()}`;
    const monitor = trackMonitor(name);
    const [a, keep] = await Promise.all([
      createTestAccount({ equity: 95_400 }),
      createTestAccount({ equity: 96_000 }),
    ]);
    await goLive(monitor, [a!, keep!]);
    await simWait({ subscribed: [a!.sessionId, keep!.sessionId] });
    let before: Record<number, RiskState | null>;
    await database("down");
    try {
      await emit({
        type: "OrderProfit",
        session_id: a!.sessionId,
        data: { balance: 100_000, equity: 94_000 },
      });
      await eventually(
        async () => {
          const s = await monitor.status();
          // The breached account stays watched (leaving) until Postgres has its change.
          return s.pending_writes === 1 && s.subscriptions === 2 ? s : null;
        },
        10_000,
        "breach queued in the outbox",
      );
      before = await risks(monitor);
      // Evicted with the entry still pending.
      await abortAllDurableObjects().catch((err: unknown) =>
        expect(String(err)).toMatch(/abortAllDurableObjects/),
      );
      const revived = env.LIVE_MONITOR.getByName(name);
      expect(await revived.status()).toMatchObject({ pending_writes: 1, subscriptions: 2 });
      // The restored risk state is the one the object held before it was evicted.
      expect(await risks(revived)).toEqual(before);
    } finally {
      await database("up");
    }
    const revived = env.LIVE_MONITOR.getByName(name);
    expect(await runDurableObjectAlarm(revived)).toBe(true);
    await revived.flushNow();
    // Longer than the writer's retry cap (30 s).
    await eventually(
      async () => (await revived.status()).pending_writes === 0,
      35_000,
      "outbox drained",
    );
    const v = await violationsOf([a!.id]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "daily_loss", equity: 94_000, source: "event" });
    expect((await getAccount(a!.id)).status).toBe("breached");
    // Acknowledged: the breached account is released.
    await eventually(
      async () => !(await revived.subscriptions()).some((s) => s.account_id === a!.id),
      10_000,
      "the breached account released at the ack",
    );
  }, 60_000);
});
