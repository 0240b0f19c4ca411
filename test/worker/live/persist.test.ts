import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PERSIST_ROWS_PER_TICK } from "../../../src/live/core/persist-backlog.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import { createTestAccount, eventually } from "../helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "./live-helpers.ts";

/** The equity of the risk state the object's storage holds for an account. */
function storedEquity(monitor: DurableObjectStub<LiveMonitor>, accountId: number): Promise<number> {
  return runInDurableObject(monitor, (_instance, ctx: DurableObjectState) => {
    const row = ctx.storage.sql
      .exec<{ risk: string }>("SELECT risk FROM subs WHERE account_id = ?", accountId)
      .one();
    return (JSON.parse(row.risk) as { equity: number }).equity;
  });
}

describe("what the live monitor persists", () => {
  it("leaves figures that moved nothing else to the heartbeat's bounded refresh, and counts the rows", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    const send = (equity: number) =>
      emit({ type: "OrderProfit", session_id: a.sessionId, data: { balance: 100_000, equity } });
    await send(95_350);
    await eventually(async () => (await monitor.status()).events.applied >= 1, 5_000, "applied");
    const first = await storedEquity(monitor, a.id);
    // Same day, no new high, no breach or warning level: only the figures move.
    await send(95_300);
    await eventually(async () => (await monitor.status()).events.applied >= 2, 5_000, "applied");
    const before = await monitor.status();
    expect(before.rows_persisted_per_tick.backlog).toBe(1);
    expect(await storedEquity(monitor, a.id)).toBe(first);

    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    const after = await monitor.status();
    expect(after.rows_persisted_per_tick).toMatchObject({ last: 1, backlog: 0 });
    expect(after.rows_persisted_per_tick.max).toBeLessThanOrEqual(PERSIST_ROWS_PER_TICK);
    expect(await storedEquity(monitor, a.id)).toBe(95_300);
  });
});
