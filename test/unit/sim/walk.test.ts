import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { walkStep } from "../../../sim/accounts.ts";
import { demoAccounts } from "../../../sim/demo.ts";
import { mulberry32, normal, pickWeighted } from "../../../sim/random.ts";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control, TestClient } from "./helpers.ts";

describe("random walk and demo accounts", () => {
  it("replays the same numbers for the same seed", () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
    const draws = Array.from({ length: 4000 }, () => normal(a));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
  });

  it("picks weighted keys and ignores zero weights", () => {
    const rng = mulberry32(3);
    const picks = Array.from({ length: 200 }, () => pickWeighted({ a: 0, b: 1, c: 3 }, rng));
    expect(picks).not.toContain("a");
    expect(picks.filter((p) => p === "c").length).toBeGreaterThan(
      picks.filter((p) => p === "b").length,
    );
    expect(pickWeighted({ a: 0 }, rng)).toBeUndefined();
  });

  it("moves equity by drift and noise, and a closed trade sets balance to equity", () => {
    const rng = mulberry32(1);
    const calm = walkStep({ balance: 100, equity: 100, drift: -0.01, volatility: 0 }, rng, 0);
    expect(calm).toEqual({ balance: 100, equity: 99, tradeClosed: false });
    const closed = walkStep({ balance: 100, equity: 100, drift: 0.01, volatility: 0 }, rng, 1);
    expect(closed).toEqual({ balance: 101, equity: 101, tradeClosed: true });
    expect(walkStep({ balance: 1, equity: 1, drift: -5, volatility: 0 }, rng, 0).equity).toBe(0);
  });

  it("makes the same demo accounts for the same seed, mostly calm with some heading for their limits", () => {
    const demo = demoAccounts(40, 7);
    expect(demoAccounts(40, 7)).toEqual(demo);
    expect(demoAccounts(40, 8)[0]?.session_id).not.toBe(demo[0]?.session_id);
    expect(new Set(demo.map((a) => a.session_id)).size).toBe(40);
    expect(new Set(demo.map((a) => a.login)).size).toBe(40);
    for (const a of demo) {
      expect(a.session_id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(a.login).toMatch(/^\d{8}$/);
      expect(a.server).toBe("Sim-Demo");
    }
    const by = (p: string) => demo.filter((a) => a.profile === p);
    expect(by("calm").length).toBe(25);
    expect(by("drifting").length).toBe(10);
    expect(by("plunging").length).toBe(5);
    for (const a of by("plunging")) expect(a.drift).toBeLessThan(-0.0005);
    expect(demoAccounts(2, 1, { firstAccountId: 10 }).map((a) => a.account_id)).toEqual([10, 11]);
  });

  it("takes a plunging demo account past a 10% loss within two minutes of ticks", () => {
    const plunging = demoAccounts(8, 5).find((a) => a.profile === "plunging");
    expect(plunging).toBeDefined();
    let state = {
      balance: plunging!.balance,
      equity: plunging!.equity,
      drift: plunging!.drift!,
      volatility: plunging!.volatility!,
    };
    const rng = mulberry32(5);
    for (let t = 0; t < 120; t++) state = { ...state, ...walkStep(state, rng, 0) };
    expect(state.equity).toBeLessThan(plunging!.balance * 0.9);
  });
});

describe("walking simulator", () => {
  let sim: Simulator;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    sim = await startSimulator({ seed: 3 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it("a tick moves walking accounts only, and sends an event for each subscribed move", async () => {
    sim.book.upsert(account("w-1", { volatility: 0.01, login: "70000001" }));
    sim.book.upsert(account("w-still", { walk: false }));
    const c = await TestClient.open(sim.eventsUrl);
    clients.push(c);
    await c.subscribe("w-1");
    await c.subscribe("w-still");
    expect((await control(sim, "/tick", { count: 3 })).body).toEqual({ moved: 3, sent: 3 });
    expect(sim.book.get("w-1")?.moves).toBe(3);
    expect(sim.book.get("w-1")?.equity).not.toBe(99_000);
    expect(sim.book.get("w-still")?.equity).toBe(99_000);
    // Whatever shape the mix draws, each event names w-1 (by session id, or by its login).
    for (let i = 0; i < 3; i++)
      expect(JSON.stringify((await c.next()).data)).toMatch(/w-1|"70000001"/);
  });

  it("runs on its own every tick_ms when the walk is on", async () => {
    sim.book.upsert(account("w-timer"));
    const c = await TestClient.open(sim.eventsUrl);
    clients.push(c);
    await c.subscribe("w-timer");
    await control(sim, "/config", { walk: true, tick_ms: 10 });
    const r = await control(sim, "/wait", { until: { events_sent_at_least: 3 }, timeout_ms: 2000 });
    expect(r.status).toBe(200);
    await control(sim, "/config", { walk: false });
    expect(sim.book.get("w-timer")!.moves).toBeGreaterThanOrEqual(3);
  });

  it("sends string_equity only while the balance is the one the last event carried", async () => {
    sim.book.upsert(account("w-str", { volatility: 0.001 }));
    await control(sim, "/config", {
      mix: { full: 0, pascal_id: 0, account_id: 0, string_equity: 1, login_server: 0 },
      trade_close_probability: 0,
    });
    const c = await TestClient.open(sim.eventsUrl);
    clients.push(c);
    await c.subscribe("w-str");
    sim.tick(); // the first event carries the balance
    expect((await c.next()).data).toMatchObject({
      type: "OrderProfit",
      data: { balance: 100_000 },
    });
    sim.tick();
    expect((await c.next()).data).toMatchObject({ type: "orderProfit", sessionId: "w-str" });
    await control(sim, "/accounts/w-str", { balance: 95_000, emit: false }, "PATCH");
    sim.tick();
    expect((await c.next()).data).toMatchObject({ type: "OrderProfit", data: { balance: 95_000 } });
    sim.tick();
    expect((await c.next()).data).toMatchObject({ type: "orderProfit" });
  });
});
