/**
 * Finding 1 of "Trust" (docs/security.md): a viewer read live accounts' session tokens in the
 * samples `GET /v1/monitor` spread into its answer. Samples are masked where they are kept
 * (the monitor's memory and storage) and the answer is built field by field.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { monitorFor } from "../../../src/live/client/address.ts";
import { createTestAccount, eventually } from "../helpers.ts";
import { api, createKey } from "../api/helpers.ts";
import { emit, goLive, simWait } from "../live/live-helpers.ts";

describe("the monitor's samples", () => {
  it("show a viewer no session token, neither in the answer nor in the monitor's storage", async () => {
    const a = await createTestAccount({ equity: 99_000 });
    const monitor = monitorFor(env, a.id);
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    const stranger = `unknown-session-${crypto.randomUUID()}`;
    const before = await monitor.status();
    await emit(
      [
        // A bad stamp (a day ahead): refused and kept as an invalid sample.
        {
          type: "OrderProfit",
          session_id: a.sessionId,
          timestamp: Date.now() + 86_400_000,
          data: { balance: 100_000, equity: 99_100 },
        },
        // No subscribed account: kept as an unroutable sample.
        { type: "OrderProfit", session_id: stranger, data: { balance: 1, equity: 1 } },
      ],
      { session_id: a.sessionId },
    );
    await eventually(
      async () => {
        const s = await monitor.status();
        return s.events.invalid > before.events.invalid &&
          s.events.unsubscribed + s.events.unroutable >
            before.events.unsubscribed + before.events.unroutable
          ? s
          : null;
      },
      5_000,
      "both events counted",
    );
    const viewer = await createKey("viewer");
    const res = await api("GET", "/v1/monitor", { token: viewer.key });
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    expect(res.body.invalid_samples.length).toBeGreaterThan(0);
    expect(text).not.toContain(a.sessionId);
    expect(text).not.toContain(stranger);
    for (const path of ["/v1/monitor/subscriptions", "/v1/monitor/dead-letters"]) {
      const other = await api("GET", path, { token: viewer.key });
      expect(other.status).toBe(200);
      expect(JSON.stringify(other.body)).not.toContain(a.sessionId);
    }

    // The monitor's storage (the counters persisted on its heartbeat) holds none either.
    await runInDurableObject(monitor, async (instance: { alarm(): Promise<void> }, ctx) => {
      await instance.alarm();
      const rows = ctx.storage.sql
        .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'counters'")
        .toArray();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.value).toContain("invalid_samples");
      expect(rows[0]!.value).not.toContain(a.sessionId);
    });
  });
});
