import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { auditOf } from "../fixtures.ts";
import { monitorFor } from "../../../src/live/client/address.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import { WRITER_RETRY } from "../../../src/live/writer.ts";
import { createTestAccount, eventually, getAccount, violationsOf, database } from "../helpers.ts";
import { api } from "../api/helpers.ts";
import { emit, simWait } from "./live-helpers.ts";

/** Holds the writer's retries after a failed batch for 10 minutes: the test flushes by hand. */
function holdRetries(monitor: DurableObjectStub<LiveMonitor>): Promise<void> {
  return runInDurableObject(monitor, (instance: LiveMonitor) => {
    instance.settings.writerRetry = { baseMs: 600_000, capMs: 600_000, minMs: 600_000 };
  });
}

/** Gives the monitor its default retry delays back. */
function releaseRetries(monitor: DurableObjectStub<LiveMonitor>): Promise<void> {
  return runInDurableObject(monitor, (instance: LiveMonitor) => {
    instance.settings.writerRetry = WRITER_RETRY;
  });
}

describe("the ownership guard on the live writer", () => {
  it("drops a breach queued during an outage when the operator releases the account from live meanwhile", async () => {
    const a = await createTestAccount({ equity: 95_400 });
    const monitor = monitorFor(env, a.id);
    expect((await api("POST", `/v1/accounts/${a.id}/live`)).status).toBe(200);
    await simWait({ subscribed: [a.sessionId] });
    const versionLive = (await getAccount(a.id)).stateVersion;
    await holdRetries(monitor);
    try {
      await database("down");
      try {
        await emit({
          type: "OrderProfit",
          session_id: a.sessionId,
          data: { balance: 100_000, equity: 94_000 },
        });
        await eventually(
          async () => (await monitor.status()).pending_writes >= 1,
          10_000,
          "breach queued in the outbox",
        );
        await monitor.flushNow(); // fails: the database is down
        expect((await monitor.status()).pending_writes).toBeGreaterThanOrEqual(1);
      } finally {
        await database("up");
      }
      // The operator releases the account while the monitor's write is still pending.
      const released = await api("DELETE", `/v1/accounts/${a.id}/live`);
      expect(released.status).toBe(200);
      const afterOperator = await getAccount(a.id);
      expect(afterOperator).toMatchObject({ monitoringState: "polling", status: "active" });
      expect(afterOperator.stateVersion).toBe(versionLive + 1);
      // The stale write is replayed now. The monitor's own update (its figures, its move out of
      // live) was its to make only while it owned the account, so it does not land; the
      // violation is a fact and lands, and marks the account breached whatever its monitoring
      // state (issue "never blind", defect 5): the operator's release stands.
      await monitor.flushNow();
      expect((await monitor.status()).pending_writes).toBe(0);
      const row = await getAccount(a.id);
      expect(row).toMatchObject({ monitoringState: "polling", status: "breached" });
      expect(row.stateVersion).toBe(afterOperator.stateVersion + 1);
      expect(await violationsOf([a.id])).toHaveLength(1);
      const audit = await auditOf(a.id);
      expect(
        audit
          .filter((r) => r.field !== null)
          .map((r) => [r.field, r.fromValue, r.toValue, r.source]),
      ).toEqual([
        ["monitoring_state", "polling", "live", "api"],
        ["monitoring_state", "live", "polling", "api"],
        ["status", "active", "breached", "event"],
      ]);
    } finally {
      await releaseRetries(monitor);
    }
  }, 60_000);
});
