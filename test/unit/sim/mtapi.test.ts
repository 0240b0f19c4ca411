import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control } from "./helpers.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function summaryFrom(from: Simulator, id: string) {
  const res = await fetch(`${from.mtapiUrl}/AccountSummary?id=${encodeURIComponent(id)}`);
  return { status: res.status, text: await res.text() };
}

function summary(id: string) {
  return summaryFrom(sim, id);
}

/** Generous: a busy machine may take a while to deliver a loopback request. */
const WAIT = { timeout: 10_000, interval: 10 };

/** A sleep seam that records each delay asked for and holds it until released. */
function heldSleeps() {
  const waits: number[] = [];
  const pending: Array<() => void> = [];
  return {
    waits,
    sleep(ms: number): Promise<void> {
      waits.push(ms);
      if (ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    releaseAll(): void {
      for (const release of pending.splice(0)) release();
    },
  };
}

describe("MTAPI AccountSummary", () => {
  it("answers the account's figures in camelCase", async () => {
    sim.book.upsert({ ...account("s-camel"), equity: 99_500, margin: 1200 });
    const r = await summary("s-camel");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      balance: 100_000,
      credit: 0,
      profit: -500,
      equity: 99_500,
      margin: 1200,
      freeMargin: 98_300,
      marginLevel: 8291.67,
      leverage: 100,
      currency: "USD",
      method: "Hedging",
      type: "Demo",
      synced: true,
      isInvestor: false,
    });
  });

  it("answers PascalCase names for a pascal account", async () => {
    await control(sim, "/accounts", account("s-pascal", { pascal: true }));
    const body = JSON.parse((await summary("s-pascal")).text);
    expect(body).toMatchObject({
      Balance: 100_000,
      Equity: 99_000,
      Profit: -1000,
      FreeMargin: 98_000,
    });
    expect(body).not.toHaveProperty("balance");
  });

  it("answers numbers as strings for a string_numbers account", async () => {
    await control(sim, "/accounts", account("s-str", { string_numbers: true, equity: 98_800.5 }));
    const body = JSON.parse((await summary("s-str")).text);
    expect(body).toMatchObject({ balance: "100000.00", equity: "98800.50", leverage: "100" });
  });

  it("answers 400 with a message for an unknown session", async () => {
    const r = await summary("nobody");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({ message: "Invalid session id" });
    expect(sim.state().rest).toMatchObject({ requests: 1, unknown: 1 });
  });

  it("answers the configured error status and body for an expired session", async () => {
    await control(sim, "/accounts", account("s-exp"));
    const p = await control(sim, "/accounts/s-exp", { expired: true }, "PATCH");
    expect(p.body.sent).toBe(0);
    expect(await summary("s-exp")).toEqual({
      status: 400,
      text: '{"message":"Invalid session id"}',
    });

    await control(
      sim,
      "/accounts/s-exp",
      { expired_status: 201, expired_body: "session expired" },
      "PATCH",
    );
    expect(await summary("s-exp")).toEqual({ status: 201, text: "session expired" });

    await control(sim, "/accounts/s-exp", { expired: false }, "PATCH");
    expect((await summary("s-exp")).status).toBe(200);
  });

  it("delays every answer by the control delay, and stops when cleared", async () => {
    const held = heldSleeps();
    const slowSim = await startSimulator({ sleep: held.sleep });
    try {
      slowSim.book.upsert(account("s-slow"));
      expect((await control(slowSim, "/delay", { ms: 150 })).body).toEqual({ delay_ms: 150 });
      const slow = summaryFrom(slowSim, "s-slow");
      await vi.waitFor(() => expect(held.waits).toEqual([150]), WAIT);
      // Held: not answered (nor counted) until its delay is over.
      expect(slowSim.book.get("s-slow")?.reads).toBe(0);
      held.releaseAll();
      expect((await slow).status).toBe(200);
      await control(slowSim, "/delay", { ms: 0 });
      expect((await summaryFrom(slowSim, "s-slow")).status).toBe(200);
      expect(held.waits).toEqual([150, 0]);
      expect(slowSim.book.get("s-slow")?.reads).toBe(2);
    } finally {
      held.releaseAll();
      await slowSim.close();
    }
  });

  it("delays one account's answers without slowing the others", async () => {
    const held = heldSleeps();
    const slowSim = await startSimulator({ sleep: held.sleep });
    try {
      slowSim.book.upsert(account("s-one-slow", { delay_ms: 200 }));
      slowSim.book.upsert(account("s-fast"));
      const slow = summaryFrom(slowSim, "s-one-slow");
      await vi.waitFor(() => expect(held.waits).toEqual([200]), WAIT);
      // The fast account answers while the slow one is still held.
      expect((await summaryFrom(slowSim, "s-fast")).status).toBe(200);
      expect(held.waits).toEqual([200, 0]);
      expect(slowSim.book.get("s-one-slow")?.reads).toBe(0);
      held.releaseAll();
      expect((await slow).status).toBe(200);
      expect(slowSim.book.get("s-one-slow")?.reads).toBe(1);
    } finally {
      held.releaseAll();
      await slowSim.close();
    }
  });

  it("counts reads per account, and a wait on reads resolves", async () => {
    sim.book.upsert(account("s-reads"));
    const waiting = control(sim, "/wait", {
      until: { reads_at_least: { "s-reads": 2 } },
      timeout_ms: 2000,
    });
    await summary("s-reads");
    await summary("s-reads");
    expect((await waiting).status).toBe(200);
    expect(sim.book.get("s-reads")?.reads).toBe(2);
  });
});
