import { describe, expect, it } from "vitest";
import { NOTHING } from "../../../src/alerts/record.ts";
import type { HealthNotice } from "../../../src/live/core/health-change.ts";
import { healthOf } from "../../../src/live/core/health.ts";
import { HealthAlerts, type MetaStore } from "../../../src/live/health-alerts.ts";

/** The monitor's meta table in memory (JSON round trip, as SQLite stores it). */
function memoryStore(): MetaStore {
  const meta = new Map<string, string>();
  return {
    getMeta: <T>(key: string) => (meta.has(key) ? (JSON.parse(meta.get(key)!) as T) : undefined),
    setMeta: (key, value) => void meta.set(key, JSON.stringify(value)),
    atomically: (fn) => fn(),
  };
}

const healthy = healthOf({ linkDownS: 0, oldestPendingS: 0, deadLetters: 0, accountsStale: 0 });
const linkDown = healthOf({ linkDownS: 61, oldestPendingS: 0, deadLetters: 0, accountsStale: 0 });

describe("monitor health alerts", () => {
  it("records degraded once when the link is down past the threshold, and recovered once after", async () => {
    const store = memoryStore();
    const recorded: HealthNotice[] = [];
    const alerts = new HealthAlerts(store, async (n) => {
      recorded.push(...n);
      return NOTHING;
    });
    await alerts.tick(healthy, 1);
    await alerts.tick(
      healthOf({ linkDownS: 59, oldestPendingS: 0, deadLetters: 0, accountsStale: 0 }),
      2,
    );
    expect(recorded).toEqual([]);
    await alerts.tick(linkDown, 3);
    await alerts.tick(linkDown, 4);
    await alerts.tick(healthy, 5);
    await alerts.tick(healthy, 6);
    expect(recorded.map((n) => [n.degraded, n.reasons, n.at])).toEqual([
      [true, ["link_down"], 3],
      [false, [], 5],
    ]);
    expect(new Set(recorded.map((n) => n.id)).size).toBe(2);
  });

  it("keeps a change while Postgres fails and records it, under the same id, when it is back", async () => {
    const store = memoryStore();
    let down = true;
    const attempts: string[][] = [];
    const alerts = new HealthAlerts(store, async (n) => {
      attempts.push(n.map((x) => x.id));
      if (down) throw new Error("database unreachable");
      return NOTHING;
    });
    await alerts.tick(linkDown, 1);
    expect(alerts.pending()).toHaveLength(1);
    // A new object over the same storage (an eviction) neither forgets nor repeats it.
    const revived = new HealthAlerts(store, async (n) => {
      attempts.push(n.map((x) => x.id));
      if (down) throw new Error("database unreachable");
      return NOTHING;
    });
    await revived.tick(linkDown, 2);
    down = false;
    await revived.tick(linkDown, 3);
    expect(revived.pending()).toEqual([]);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.flat()).size).toBe(1);
  });
});
