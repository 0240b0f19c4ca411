/**
 * The watchdog's overflow (docs/wire-contract.md, "Connection behaviour"; docs/architecture.md, "Never blind"): quiet live accounts
 * beyond what one heartbeat re-reads go to the poll Queue; its consumer reads them and hands
 * the readings back to the monitor, whose figures follow.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import { createTestAccount, eventually, getAccount } from "../helpers.ts";
import { freshMonitor, goLive, simWait } from "./live-helpers.ts";

describe("the watchdog's hand-off to the poll queue", () => {
  it("re-reads every quiet live account when more are quiet than a heartbeat reads itself, the queue's readings reaching the monitor", async () => {
    const monitor = freshMonitor();
    const rows = await Promise.all([
      createTestAccount({ balance: 100_000, equity: 95_400 }),
      createTestAccount({ balance: 100_000, equity: 95_450 }),
      createTestAccount({ balance: 100_000, equity: 95_500 }),
    ]);
    await goLive(monitor, rows);
    await simWait({ subscribed: rows.map((r) => r.sessionId) });
    // Every account is quiet; one heartbeat reads one of them itself.
    await runInDurableObject(monitor, (instance: LiveMonitor, state) => {
      instance.settings.staleMs = 0;
      instance.settings.maxRereads = 1;
      return state.storage.setAlarm(Date.now());
    });
    expect(await runDurableObjectAlarm(monitor)).toBe(true);
    // The other two were read by the queue's consumer and judged by the monitor.
    await simWait(
      { reads_at_least: Object.fromEntries(rows.map((r) => [r.sessionId, 1])) },
      20_000,
    );
    await eventually(
      async () => {
        await monitor.flushNow();
        const got = await Promise.all(rows.map((r) => getAccount(r.id)));
        return got.every((g) => g.metrics?.source === "poll") ? got : null;
      },
      20_000,
      "every account's figures from a REST reading",
    );
    const got = await Promise.all(rows.map((r) => getAccount(r.id)));
    expect(got.map((g) => g.metrics?.equity)).toEqual([95_400, 95_450, 95_500]);
    expect(got.every((g) => g.monitoringState === "live")).toBe(true);
    await monitor.unsubscribe(rows.map((r) => r.id));
  }, 60_000);

  it("judges the readings handed back on the monitor's own clock", async () => {
    const monitor = freshMonitor();
    const row = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [row]);
    await simWait({ subscribed: [row.sessionId] });
    // The monitor's clock, moved a minute ahead of the runtime's.
    const at = Date.now() + 60_000;
    await runInDurableObject(monitor, (instance: LiveMonitor) => {
      instance.clock = () => at;
    });
    await monitor.applyRestReadings([
      { account_id: row.id, result: { ok: true, summary: { balance: 100_000, equity: 95_300 } } },
    ]);
    const sub = await runInDurableObject(monitor, (instance: LiveMonitor) => {
      const subs = (instance as unknown as { subs: { get(id: number): HeardFields | undefined } })
        .subs;
      return { ...subs.get(row.id)! };
    });
    expect(sub.lastRestAt).toBe(at);
    expect(sub.risk).toMatchObject({ last_at: at, equity: 95_300 });
    await monitor.unsubscribe([row.id]);
  });
});

/** The fields of a subscription the clock test reads. */
interface HeardFields {
  lastRestAt: number;
  risk: { last_at: number; equity: number } | null;
}
