import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control } from "./helpers.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function summary(id: string) {
  const res = await fetch(`${sim.mtapiUrl}/AccountSummary?id=${encodeURIComponent(id)}`);
  return { status: res.status, text: await res.text() };
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
    sim.book.upsert(account("s-slow"));
    expect((await control(sim, "/delay", { ms: 150 })).body).toEqual({ delay_ms: 150 });
    let t0 = performance.now();
    expect((await summary("s-slow")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    await control(sim, "/delay", { ms: 0 });
    t0 = performance.now();
    await summary("s-slow");
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("delays one account's answers without slowing the others", async () => {
    sim.book.upsert(account("s-one-slow", { delay_ms: 200 }));
    sim.book.upsert(account("s-fast"));
    const t0 = performance.now();
    const slow = summary("s-one-slow");
    await summary("s-fast");
    expect(performance.now() - t0).toBeLessThan(150);
    await slow;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
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
