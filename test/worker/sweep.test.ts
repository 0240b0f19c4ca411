import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { monitorFor } from "../../src/live/client/address.ts";
import { releaseLease, takeLease } from "../../src/poll/lease.ts";
import { dispatchSweep } from "../../src/poll/sweep.ts";
import {
  createTestAccount,
  createTestAccounts,
  getAccount,
  sim,
  violationsOf,
  runCron,
  withTestDb,
  database,
} from "./helpers.ts";

describe("the cron sweep", () => {
  it("reads accounts from Postgres, fetches their summaries from MTAPI and stores the figures", async () => {
    const a = await createTestAccount({
      initial_balance: 100_000,
      balance: 104_000,
      equity: 99_500,
    });
    await runCron();
    const row = await getAccount(a.id);
    expect(row.metrics).toMatchObject({
      balance: 104_000,
      equity: 99_500,
      day_start: 104_000,
      daily_floor: 99_000,
      max_floor: 90_000,
      usage: { daily: 90, max: 5, overall: 90 },
      source: "poll",
    });
    expect(row.riskState?.monitoring).toBe("polling");
    expect(row.problem).toBeNull();
  });

  it("marks an expired session as a problem and clears it when the account answers again", async () => {
    const a = await createTestAccount();
    // Refused by ConnectByToken and no stored credentials: nothing can renew it.
    await sim(`/accounts/${a.sessionId}`, { expired: true, connect_by_token: false }, "PATCH");
    await runCron();
    expect((await getAccount(a.id)).problem).toBe("session_expired");
    await sim(`/accounts/${a.sessionId}`, { expired: false }, "PATCH");
    await runCron();
    const row = await getAccount(a.id);
    expect(row.problem).toBeNull();
    expect(row.metrics?.equity).toBe(100_000);
  });

  it("hands an account at 97% usage to the live monitor", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 95_150 });
    await runCron();
    const row = await getAccount(a.id);
    expect(row.monitoringState).toBe("live");
    expect(row.metrics?.usage.overall).toBeCloseTo(97, 6);
    const subs = await monitorFor(env, a.id).subscriptions();
    expect(subs.map((s) => s.account_id)).toContain(a.id);
    await sim("/wait", { until: { subscribed: [a.sessionId] }, timeout_ms: 5_000 });
  });

  it("records a breach once across two sweeps and stops polling the account", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 94_999.99 });
    await runCron();
    await runCron();
    const v = await violationsOf([a.id]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      rule: "daily_loss",
      floor: 95_000,
      equity: 94_999.99,
      source: "poll",
    });
    const row = await getAccount(a.id);
    expect(row.status).toBe("breached");
    expect(row.metrics?.equity).toBe(94_999.99);
  });

  it("never runs two sweeps at once: of two concurrent sweeps one is skipped, and the lease is given back", async () => {
    await createTestAccounts(5, { balance: 100_000 });
    const results = await Promise.all([dispatchSweep(env), dispatchSweep(env)]);
    expect(results.filter((r) => r.skipped)).toHaveLength(1);
    expect(results.find((r) => !r.skipped)!.accounts).toBeGreaterThanOrEqual(5);
    // Given back: the next sweep runs.
    expect((await dispatchSweep(env)).skipped).toBeUndefined();
  });

  it("skips a sweep while another holder has the lease, and runs once it is released", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    await withTestDb((db) => takeLease(db, "other-sweep"));
    expect(await dispatchSweep(env)).toEqual({ accounts: 0, messages: 0, skipped: true });
    expect((await getAccount(a.id)).metrics).toBeNull();
    await withTestDb((db) => releaseLease(db, "other-sweep"));
    expect((await dispatchSweep(env)).skipped).toBeUndefined();
    expect((await getAccount(a.id)).metrics?.equity).toBe(99_000);
  });

  it("gives the lease back after a database outage broke the sweep, so the next minute's sweep runs", async () => {
    await createTestAccount({ balance: 100_000, equity: 99_000 });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sim("/delay", { ms: 1_500 });
    try {
      // MTAPI answers after 1.5 s; the database goes away at 0.5 s and comes back at 3 s, so
      // the sweep ends (and first tries to give the lease back) while it is away.
      const sweep = dispatchSweep(env).catch((err: unknown) => err);
      await pause(500);
      await database("down");
      await pause(2_500);
      await database("up");
      await sweep;
    } finally {
      await sim("/delay", { ms: 0 });
      await database("up");
    }
    expect((await dispatchSweep(env)).skipped).toBeUndefined();
  });
});
