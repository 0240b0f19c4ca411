import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { narrate } from "../../../dev/narrate.ts";
import { limitOf, scenes, scriptedDemoAccounts } from "../../../dev/seed.ts";
import {
  BAND_HIGH,
  BAND_LOW,
  equityAt,
  initialPathState,
  LIVE_ENTER_PCT,
  LIVE_EXIT_PCT,
  liveScript,
  pathStep,
  scriptedAccounts,
  type DemoPlan,
  type ScriptedAccount,
} from "../../../sim/demo-script.ts";
import { mulberry32, normal } from "../../../sim/random.ts";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { evaluate, PRESETS, resolveRules, type PresetName } from "../../../src/risk/index.ts";
import { TestClient } from "./helpers.ts";

/** Plays a plan second by second; `liveAt`: when the monitor subscribes (null: never). */
function play(plan: DemoPlan, seconds: number, liveAt: number | null, seed = 1) {
  const rng = mulberry32(seed);
  let state = initialPathState();
  const usages: number[] = [];
  for (let t = 0; t <= seconds; t++) {
    const step = pathStep(plan, state, t, liveAt !== null && t >= liveAt, normal(rng));
    state = step.state;
    usages.push(step.usage);
  }
  return { usages, state };
}

function rulesOf(a: ScriptedAccount) {
  const r = resolveRules({ preset: a.preset as PresetName, initial_balance: a.balance });
  if (!r.ok) throw new Error("rules");
  return r.rules;
}

describe("the demo's scripted paths", () => {
  const cast = scriptedAccounts();

  it("draws the same cast for the same seed: breaches, recoveries and lingerers, some live from the start", () => {
    expect(scriptedAccounts()).toEqual(cast);
    const roles = (r: string) => cast.filter((a) => a.plan.role === r).length;
    expect(roles("breach")).toBeGreaterThanOrEqual(3);
    expect(roles("recover")).toBeGreaterThanOrEqual(3);
    expect(roles("linger")).toBeGreaterThanOrEqual(3);
    // At least three start in the band: live at the very first poll.
    expect(cast.filter((a) => a.plan.enterS === 0).length).toBeGreaterThanOrEqual(3);
    expect(new Set(cast.map((a) => a.session_id)).size).toBe(cast.length);
    expect(new Set(cast.map((a) => a.login)).size).toBe(cast.length);
    for (const a of cast) expect(a.walk).toBe(false);
  });

  it("never leaves the band upwards while the monitor does not watch the account", () => {
    for (const [i, a] of cast.entries()) {
      const { usages, state } = play(a.plan, 1200, null, i + 1);
      expect(Math.max(...usages)).toBeLessThanOrEqual(BAND_HIGH);
      const inBand = usages.slice(Math.ceil(a.plan.enterS));
      expect(Math.min(...inBand)).toBeGreaterThanOrEqual(BAND_LOW);
      expect(state.phase).toBe("waiting");
    }
  });

  it("once live, plays its role: a breach past 100% within seconds, a recovery below the exit, a linger of minutes", () => {
    for (const [i, a] of cast.entries()) {
      const liveAt = Math.ceil(a.plan.enterS) + 5;
      const { usages } = play(a.plan, liveAt + 600, liveAt, i + 7);
      const hold = usages.slice(liveAt, liveAt + Math.floor(a.plan.holdS));
      expect(Math.min(...hold)).toBeGreaterThanOrEqual(BAND_LOW);
      expect(Math.max(...hold)).toBeLessThanOrEqual(BAND_HIGH);
      const end = liveAt + Math.ceil(a.plan.holdS + a.plan.moveS) + 1;
      if (a.plan.role === "breach") {
        const crossing = usages.findIndex((u) => u > 100);
        expect(crossing).toBeGreaterThan(liveAt + a.plan.holdS);
        expect(crossing).toBeLessThanOrEqual(end);
        // Several events on the way: no jump past the floor in one tick.
        expect(usages[crossing]! - usages[crossing - 1]!).toBeLessThan(2);
        expect(Math.min(...usages.slice(end))).toBeGreaterThan(100);
      } else {
        expect(Math.max(...usages.slice(end))).toBeLessThan(LIVE_EXIT_PCT);
        if (a.plan.role === "linger") expect(a.plan.holdS).toBeGreaterThanOrEqual(180);
      }
    }
  });

  it("turns usage into equity the risk engine agrees with, for every scripted preset", () => {
    const at = Date.UTC(2026, 11, 6, 12);
    for (const a of scriptedDemoAccounts()) {
      const rules = rulesOf(a);
      expect(rules.live_enter_pct).toBe(LIVE_ENTER_PCT);
      expect(rules.live_exit_pct).toBe(LIVE_EXIT_PCT);
      const limit = limitOf(a);
      const reading = (usage: number, t: number) => ({
        equity: equityAt(a.balance, limit, usage),
        balance: a.balance,
        at: t,
        source: "event" as const,
      });
      const inBand = evaluate(rules, null, reading(a.plan.bandUsage, at));
      if (!inBand.applied) throw new Error("not applied");
      expect(inBand.usage.overall).toBeCloseTo(a.plan.bandUsage, 1);
      expect(inBand.transition).toEqual({ from: "polling", to: "live" });
      expect(inBand.violations).toEqual([]);
      const low = evaluate(rules, null, reading(BAND_LOW, at));
      expect(low.applied && low.usage.overall).toBeGreaterThanOrEqual(LIVE_ENTER_PCT);
      const high = evaluate(rules, null, reading(BAND_HIGH, at));
      expect(high.applied && high.violations).toEqual([]);
      const end = evaluate(rules, inBand.state, reading(a.plan.endUsage, at + 60_000));
      if (!end.applied) throw new Error("not applied");
      if (a.plan.role === "breach") {
        expect(end.violations.length).toBeGreaterThan(0);
      } else {
        expect(end.violations).toEqual([]);
        expect(end.transition).toEqual({ from: "live", to: "polling" });
      }
    }
    // Every preset the cast uses is a real one.
    for (const a of scriptedDemoAccounts()) expect(Object.keys(PRESETS)).toContain(a.preset);
  });

  it("tells what to watch: the console's views and every scripted account", () => {
    const lines = narrate("http://127.0.0.1:8787", scenes());
    const text = lines.join("\n");
    expect(text).toContain("At risk (http://127.0.0.1:8787/#/)");
    expect(text).toContain("Monitor (http://127.0.0.1:8787/#/monitor)");
    for (const a of scriptedDemoAccounts()) expect(text).toContain(a.label.replace(/ \(.*/, ""));
  });
});

describe("a simulator playing the demo script", () => {
  let sim: Simulator;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    sim = await startSimulator({ seed: 5 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it("holds a scripted account in the band until it is subscribed, then plays its finale in events", async () => {
    const [a] = scriptedAccounts();
    const plan: DemoPlan = { ...a!.plan, enterS: 0, holdS: 0, moveS: 0.001, role: "breach" };
    const actor = { ...a!, plan };
    const limit = 5_000;
    sim.book.upsert({ ...actor, equity: equityAt(actor.balance, limit, plan.startUsage) });
    sim.play(liveScript([actor], () => limit));
    const floorEquity = equityAt(actor.balance, limit, 100);
    for (let i = 0; i < 5; i++) sim.tick();
    expect(sim.book.get(actor.session_id)!.equity).toBeGreaterThan(floorEquity);

    const c = await TestClient.open(sim.eventsUrl);
    clients.push(c);
    await c.subscribe(actor.session_id, actor.login, actor.server);
    expect(sim.tick()).toEqual({ moved: 1, sent: 1 });
    await c.next();
    // The script's clock is the wall clock in whole milliseconds: the finale (1 ms long) has
    // played out only once a millisecond has passed since the tick that started it. Without
    // this wait a fast machine ticked twice in one millisecond and saw the finale's start.
    const started = Date.now();
    while (Date.now() - started < 2) await new Promise((r) => setTimeout(r, 1));
    sim.tick();
    expect(sim.book.get(actor.session_id)!.equity).toBeLessThan(floorEquity);
    // The account's equity reached the client in an event (any shape names it).
    expect(JSON.stringify((await c.next()).data)).toMatch(
      new RegExp(`${actor.session_id}|"${actor.login}"`),
    );
  });

  it("stops its scripts on reset", () => {
    const [a] = scriptedAccounts();
    sim.book.upsert({ ...a!, equity: 99_000 });
    sim.play(liveScript([a!], () => 5_000));
    sim.reset();
    sim.book.upsert({ ...a!, equity: 99_000 });
    expect(sim.tick()).toEqual({ moved: 0, sent: 0 });
    expect(sim.book.get(a!.session_id)!.equity).toBe(99_000);
  });
});
