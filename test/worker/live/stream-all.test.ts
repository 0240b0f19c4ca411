import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { monitorFor } from "../../../src/live/client/address.ts";
import { api } from "../api/helpers.ts";
import { createTestAccount, eventually, getAccount, sim } from "../helpers.ts";
import { simWait } from "./live-helpers.ts";

const streaming: Env = { ...env, STREAM_ALL: "1" };

/** Polls one account now, as `POST /v1/poll` does, under `vars`. */
async function pollNow(id: number, vars: Env): Promise<{ entered_live: number }> {
  const res = await api("POST", "/v1/poll", { json: { account_ids: [id] }, env: vars });
  expect(res.status).toBe(200);
  return res.body;
}

/** Sends the account new figures and waits until its monitor has applied them. */
async function event(sessionId: string, accountId: number, equity: number): Promise<void> {
  const monitor = monitorFor(env, accountId);
  const before = (await monitor.status()).events.applied;
  await sim(`/accounts/${sessionId}`, { equity, balance: 100_000 }, "PATCH");
  await eventually(
    async () => (await monitor.status()).events.applied > before,
    10_000,
    "the event applied",
  );
  await monitor.flushNow();
}

describe("STREAM_ALL=1", () => {
  it("streams an account far from its floors, keeps it live below the exit threshold, and still ends it on a breach", async () => {
    // 1% of the 10% max allowance used: far below the 97% that enters live by default.
    const a = await createTestAccount({ balance: 100_000, equity: 99_900 });
    expect((await pollNow(a.id, env)).entered_live).toBe(0);
    expect((await getAccount(a.id)).monitoringState).toBe("polling");

    await sim(`/accounts/${a.sessionId}`, { equity: 99_800 }, "PATCH");
    expect((await pollNow(a.id, streaming)).entered_live).toBe(1);
    expect((await getAccount(a.id)).monitoringState).toBe("live");
    await simWait({ subscribed: [a.sessionId] });
    const held = async () =>
      (await monitorFor(env, a.id).subscriptions()).some((s) => s.account_id === a.id);
    expect(await held()).toBe(true);

    // In profit (usage 0 < live_exit_pct 90): under STREAM_ALL it stays live and watched.
    await event(a.sessionId, a.id, 101_000);
    expect(await held()).toBe(true);
    expect((await getAccount(a.id)).monitoringState).toBe("live");
    expect((await getAccount(a.id)).metrics?.equity).toBe(101_000);

    // A breach still ends live monitoring.
    await event(a.sessionId, a.id, 94_000);
    await eventually(async () => (await getAccount(a.id)).status === "breached", 10_000, "breach");
    expect((await getAccount(a.id)).monitoringState).toBe("polling");
  });

  it("without STREAM_ALL, the same account leaves live when its usage falls below the exit threshold", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 95_150 });
    expect((await pollNow(a.id, env)).entered_live).toBe(1);
    await simWait({ subscribed: [a.sessionId] });
    await event(a.sessionId, a.id, 101_000);
    await eventually(
      async () => (await getAccount(a.id)).monitoringState === "polling",
      10_000,
      "back to polling",
    );
  });
});
