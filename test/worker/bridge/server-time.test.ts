/**
 * A feed stamping events in broker server time (docs/mtapi-bridge.md, "Server-time stamps"):
 * the monitor learns the server's offset and breaches by event, not a minute later by the
 * watchdog's REST re-read. On the code before, every such event was set aside as invalid.
 */
import { describe, expect, it } from "vitest";
import { createTestAccount, eventually, getAccount, violationsOf } from "../helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "../live/live-helpers.ts";

const H = 3_600_000;

describe("server-time stamps", () => {
  it("a feed stamped UTC+2 breaches by event, dated by the corrected time", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    const frame = (equity: number) => ({
      type: "OrderProfit",
      session_id: a.sessionId,
      timestampUTC: Date.now() + 2 * H,
      data: { balance: 100_000, equity },
    });
    // The offset is learnt from the feed's own stamps (the first is set aside while it is).
    await emit(frame(95_400));
    await emit(frame(95_300));
    await eventually(async () => (await monitor.status()).events.server_time >= 1, 5_000, "learnt");
    const sent = Date.now();
    await emit(frame(94_000));
    const [v] = await eventually(
      async () => {
        await monitor.flushNow();
        const found = await violationsOf([a.id]);
        return found.length ? found : null;
      },
      10_000,
      "the breach",
    );
    expect(v).toMatchObject({ rule: "daily_loss", source: "event", equity: 94_000 });
    // Dated by the corrected stamp: within a second of sending, not two hours ahead.
    expect(Math.abs(v!.detectedAt.getTime() - sent)).toBeLessThan(1_000);
    expect((await getAccount(a.id)).status).toBe("breached");
  });
});
