/**
 * `synced: false`, or zeros where the last balance was not zero, is never a reading
 * (docs/mtapi-bridge.md, "Unsynced answers"): polled, live by event, and live over REST.
 * On the code before the bridge these answers were readings: a breach at 2000% usage.
 */
import { describe, expect, it } from "vitest";
import {
  createTestAccount,
  eventually,
  getAccount,
  sim,
  SIM_URL,
  violationsOf,
} from "../helpers.ts";
import { api } from "../api/helpers.ts";
import { messagesAbout } from "../alerts/sink-helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "../live/live-helpers.ts";

const poll = (ids: number[]) => api("POST", "/v1/poll", { json: { account_ids: ids } });

describe("unsynced answers are never a reading", () => {
  it("polled: synced: false with zero figures moves nothing, shows unsynced, and clears once synced", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    expect((await poll([a.id])).body).toMatchObject({ polled: 1, violations: 0 });
    const before = await getAccount(a.id);
    expect(before.metrics).toMatchObject({ balance: 100_000, equity: 99_000 });

    // Right after a reconnect the bridge answers zeros, marked synced: false.
    await sim(`/accounts/${a.sessionId}`, { synced: false }, "PATCH");
    const res = await poll([a.id]);
    expect(res.body).toMatchObject({ polled: 1, violations: 0, errors: 1 });
    const during = await getAccount(a.id);
    expect(during.status).toBe("active");
    expect(during.problem).toBe("unsynced");
    expect(during.problemSince).toBeInstanceOf(Date);
    expect(during.metrics).toEqual(before.metrics);
    expect(during.riskState).toEqual(before.riskState);
    expect(await violationsOf([a.id])).toHaveLength(0);
    const shown = await api("GET", `/v1/accounts/${a.id}`);
    expect(shown.body).toMatchObject({
      problem: "unsynced",
      problem_since: during.problemSince!.toISOString(),
    });

    // Zeros without the flag, on an account whose balance was not zero: the same.
    await sim(`/accounts/${a.sessionId}`, { synced: true, balance: 0, equity: 0 }, "PATCH");
    expect((await poll([a.id])).body).toMatchObject({ violations: 0 });
    expect((await getAccount(a.id)).problem).toBe("unsynced");
    expect(await violationsOf([a.id])).toHaveLength(0);

    await sim(`/accounts/${a.sessionId}`, { balance: 100_000, equity: 98_000 }, "PATCH");
    expect((await poll([a.id])).body).toMatchObject({ errors: 0 });
    const after = await getAccount(a.id);
    expect(after.problem).toBeNull();
    expect(after.problemSince).toBeNull();
    expect(after.metrics).toMatchObject({ equity: 98_000 });
    const alerts = (await messagesAbout(a.id)).filter((m) => m.type === "account.problem");
    expect(alerts.map((m) => m.payload.data)).toMatchObject([
      { problem: "unsynced", detail: { change: "appeared" } },
      { problem: null, detail: { change: "cleared", problem: "unsynced" } },
    ]);
  });

  it("polled: an account unsynced only right after a reconnect is read again in the same poll", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    await poll([a.id]);
    await sim(`/accounts/${a.sessionId}`, { unsynced_after_connect: 1 }, "PATCH");
    // The simulator's reconnect: ConnectByToken makes the next answer unsynced.
    await fetch(`${SIM_URL}/ConnectByToken?id=${encodeURIComponent(a.sessionId)}`);
    expect((await poll([a.id])).body).toMatchObject({ errors: 0, violations: 0 });
    const row = await getAccount(a.id);
    expect(row.problem).toBeNull();
    expect(row.metrics).toMatchObject({ equity: 99_000 });
  });

  it("live: an event with synced: false or zeros breaches nothing; the account shows unsynced", async () => {
    const monitor = freshMonitor();
    const a = await createTestAccount({ balance: 100_000, equity: 95_400 });
    await goLive(monitor, [a]);
    await simWait({ subscribed: [a.sessionId] });
    await emit({
      type: "OrderProfit",
      session_id: a.sessionId,
      data: { balance: 100_000, equity: 95_400 },
    });
    await eventually(async () => (await monitor.status()).events.applied >= 1, 5_000, "applied");
    await emit({
      type: "AccountSummary",
      session_id: a.sessionId,
      data: { balance: 0, equity: 0, synced: false },
    });
    await emit({ type: "OrderProfit", session_id: a.sessionId, data: { balance: 0, equity: 0 } });
    await emit({
      type: "AccountSummary",
      session_id: a.sessionId,
      data: { balance: 100_000, equity: 2_000, synced: "false" },
    });
    await eventually(
      async () => (await monitor.status()).events.unsynced >= 3,
      5_000,
      "unsynced counted",
    );
    // The live REST re-read (its own, or the poll queue's hand-back) is judged alike.
    await monitor.applyRestReadings([
      { account_id: a.id, result: { ok: true, summary: { balance: 0, equity: 0 } } },
      {
        account_id: a.id,
        result: { ok: true, summary: { balance: 100_000, equity: 1_000, synced: false } },
      },
    ]);
    const status = await monitor.status();
    expect(status.events.applied).toBe(1);
    await monitor.flushNow();
    const row = await getAccount(a.id);
    expect(row.status).toBe("active");
    expect(row.monitoringState).toBe("live");
    expect(row.problem).toBe("unsynced");
    expect(row.metrics).toMatchObject({ equity: 95_400 });
    expect(await violationsOf([a.id])).toHaveLength(0);
  });
});
