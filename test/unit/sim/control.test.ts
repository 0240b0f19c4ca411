import { WebSocket } from "ws";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control, TestClient } from "./helpers.ts";

let sim: Simulator;
const logLines: string[] = [];
const clients: TestClient[] = [];
async function connect(): Promise<TestClient> {
  const c = await TestClient.open(sim.eventsUrl);
  clients.push(c);
  return c;
}

/** Answers the HTTP status of an upgrade attempt (101 when accepted). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("error", () => {});
  });
}

beforeAll(async () => {
  sim = await startSimulator({ log: (l) => logLines.push(l) });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe("control accounts", () => {
  it("upserts, lists, reads, patches and deletes accounts", async () => {
    const created = await control(sim, "/accounts", account("c-1", { login: 12345678 }));
    expect(created).toMatchObject({
      status: 200,
      body: { session_id: "c-1", login: "12345678", equity: 99_000 },
    });
    await control(sim, "/accounts", {
      accounts: [account("c-2"), { ...account("c-3"), profile: "calm" }],
    });
    expect(
      (await control(sim, "/accounts")).body.map((a: { session_id: string }) => a.session_id),
    ).toEqual(["c-1", "c-2", "c-3"]);
    expect((await control(sim, "/accounts/c-2")).body).toMatchObject({ balance: 100_000 });
    const patched = await control(
      sim,
      "/accounts/c-2",
      { balance: 90_000, equity: 89_000 },
      "PATCH",
    );
    expect(patched.body).toMatchObject({ balance: 90_000, equity: 89_000, sent: 0 });
    expect((await control(sim, "/accounts/c-2", undefined, "DELETE")).body).toEqual({
      deleted: "c-2",
    });
    expect((await control(sim, "/accounts/c-2")).status).toBe(404);
  });

  it("rejects invalid bodies with 400 and the issues", async () => {
    const r = await control(sim, "/accounts", { session_id: "x", server: "S" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "invalid body", issues: expect.any(Array) });
    expect((await control(sim, "/wait", { until: { conections: 1 } })).status).toBe(400);
    expect((await control(sim, "/nope")).status).toBe(404);
  });
});

describe("control connections", () => {
  it("drop closes every connection, and a session filter drops only its subscribers", async () => {
    const [a, b] = [await connect(), await connect()];
    await a.subscribe("d-1");
    expect((await control(sim, "/drop", { session_id: "d-1" })).body).toEqual({ dropped: 1 });
    await a.closed;
    expect(sim.state().connections).toBe(1);
    expect((await control(sim, "/drop", {})).body).toEqual({ dropped: 1 });
    expect(await b.closed).toBe(1006);
    expect(sim.state()).toMatchObject({ connections: 0, total_connections: 2, subscriptions: [] });
    expect(logLines.some((l) => l.includes("dropped=1"))).toBe(true);
  });

  it("drop with a code closes with that code", async () => {
    const c = await connect();
    await control(sim, "/drop", { code: 4000, reason: "bye" });
    expect(await c.closed).toBe(4000);
  });

  it("refuse rejects upgrades with 503 for N seconds, then accepts again", async () => {
    const c = await connect();
    const r = await control(sim, "/refuse", { seconds: 0.3 });
    expect(r.body).toMatchObject({ dropped: 1, refusing_until: expect.any(String) });
    const until = Date.parse(r.body.refusing_until);
    await c.closed;
    expect(await upgradeStatus(sim.eventsUrl)).toBe(503);
    // Retry like a reconnecting client; give up well after the refusal ends (10 s > 0.3 s).
    let status = 503;
    const giveUp = Date.now() + 10_000;
    while (status === 503 && Date.now() < giveUp) {
      await new Promise((r) => setTimeout(r, 20));
      status = await upgradeStatus(sim.eventsUrl);
    }
    expect(status).toBe(101);
    // Accepted only once the refusal was over.
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(sim.state().refused).toBeGreaterThanOrEqual(1);
  });

  it("emit sends raw strings, JSON values and binary frames, to all or to one session", async () => {
    const [a, b] = [await connect(), await connect()];
    await a.subscribe("e-1");
    expect((await control(sim, "/emit", { frame: "{not json" })).body).toEqual({ sent: 2 });
    expect((await a.next()).text).toBe("{not json");
    expect((await b.next()).text).toBe("{not json");
    expect(
      (await control(sim, "/emit", { frame: [{ x: 1 }], binary: true, session_id: "e-1" })).body,
    ).toEqual({ sent: 1 });
    expect(await a.next()).toMatchObject({ data: [{ x: 1 }], binary: true });
    expect(b.pending()).toEqual([]);
  });
});

describe("control wait, state, config and reset", () => {
  it("wait resolves once every condition holds", async () => {
    const waiting = control(sim, "/wait", {
      until: {
        connections: 1,
        subscriptions: 1,
        subscribed: ["w-1"],
        total_connections_at_least: 1,
      },
      timeout_ms: 2000,
    });
    const c = await connect();
    await c.subscribe("w-1");
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      connections: 1,
      subscriptions: [{ session_id: "w-1", connections: 1 }],
    });
  });

  it("wait answers 408 with the state and what is unmet on timeout", async () => {
    const r = await control(sim, "/wait", { until: { subscribed: ["never"] }, timeout_ms: 50 });
    expect(r.status).toBe(408);
    expect(r.body).toMatchObject({ connections: 0, unmet: ["never not subscribed"] });
  });

  it("wait sees a resubscribe after a drop", async () => {
    const c = await connect();
    await c.subscribe("r-1");
    await control(sim, "/drop", {});
    const again = await connect();
    await again.subscribe("r-1");
    const r = await control(sim, "/wait", {
      until: { subscribe_count_at_least: { "r-1": 2 }, subscribed: ["r-1"] },
    });
    expect(r.status).toBe(200);
    expect(c.ws.readyState).not.toBe(WebSocket.OPEN);
  });

  it("config changes framing and reset restores everything", async () => {
    const r = await control(sim, "/config", { batch_probability: 0.5, mix: { non_equity: 2 } });
    expect(r.body).toMatchObject({
      batch_probability: 0.5,
      mix: { full: 1, non_equity: 2 },
      walk: false,
    });
    sim.book.upsert(account("x-1"));
    await control(sim, "/delay", { ms: 500 });
    const c = await connect();
    await control(sim, "/reset", {});
    await c.closed;
    expect((await control(sim, "/config")).body).toMatchObject({
      batch_probability: 0,
      mix: { non_equity: 0 },
    });
    expect(sim.state()).toMatchObject({
      connections: 0,
      total_connections: 0,
      accounts: 0,
      rest: { delay_ms: 0 },
    });
  });
});
