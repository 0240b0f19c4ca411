import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control, TestClient } from "./helpers.ts";

let sim: Simulator;
const clients: TestClient[] = [];
async function connect(path = "/events"): Promise<TestClient> {
  const c = await TestClient.open(sim.eventsUrl.replace(/\/events$/, path));
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 42 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe("Events subscriptions", () => {
  it("acknowledges subscribe and unsubscribe with the request's keys", async () => {
    const c = await connect();
    const ack = await c.subscribe("s-1", "12345678", "Broker-Demo");
    expect(ack.data).toEqual({
      type: "subscribed",
      login: "12345678",
      server: "Broker-Demo",
      session_id: "s-1",
    });
    expect(sim.state().subscriptions).toEqual([
      { session_id: "s-1", login: "12345678", server: "Broker-Demo", connections: 1 },
    ]);
    c.send({ action: "unsubscribe", login: "12345678", server: "Broker-Demo", session_id: "s-1" });
    expect((await c.next()).data).toMatchObject({ type: "unsubscribed", session_id: "s-1" });
    expect(sim.state()).toMatchObject({
      subscriptions: [],
      received: { subscribe: 1, unsubscribe: 1 },
    });
  });

  it("accepts upgrades on / as well as /events, and subscribes unknown sessions", async () => {
    const c = await connect("/");
    expect((await c.subscribe("not-in-the-book")).data).toMatchObject({ type: "subscribed" });
  });

  it("answers malformed frames with an error and keeps the connection", async () => {
    const c = await connect();
    for (const bad of [
      "not json",
      "[1,2]",
      '{"action":"dance","session_id":"x"}',
      '{"action":"subscribe"}',
    ]) {
      c.send(bad);
      const reply = await c.next();
      expect(reply.data).toMatchObject({ type: "error", message: expect.any(String) });
    }
    c.ws.send(Buffer.from(JSON.stringify({ action: "subscribe", session_id: "s-bin", login: 7 })));
    expect((await c.next()).data).toMatchObject({
      type: "subscribed",
      session_id: "s-bin",
      login: "7",
    });
    expect(sim.state()).toMatchObject({ connections: 1, received: { invalid: 4, subscribe: 1 } });
  });
});

describe("Events delivery", () => {
  it("sends events only for subscribed accounts, to every subscribed connection", async () => {
    sim.book.upsert(account("s-a"));
    sim.book.upsert(account("s-b"));
    const one = await connect();
    const two = await connect();
    await one.subscribe("s-a");
    await two.subscribe("s-a");
    expect((await control(sim, "/accounts/s-b", { equity: 97_000 }, "PATCH")).body.sent).toBe(0);
    expect((await control(sim, "/accounts/s-a", { equity: 98_000 }, "PATCH")).body.sent).toBe(2);
    for (const c of [one, two]) {
      expect((await c.next()).data).toMatchObject({ session_id: "s-a", data: { equity: 98_000 } });
    }
    expect(one.pending()).toEqual([]);
    expect(sim.state().sent.events).toBe(2);
  });

  it("encodes each shape of the wire contract", async () => {
    sim.book.upsert(
      account("s-shape", { login: "222", server: "Demo", account_id: 42, margin: 300 }),
    );
    const c = await connect();
    await c.subscribe("s-shape");
    const patch = (body: unknown) => control(sim, "/accounts/s-shape", body, "PATCH");

    await patch({ equity: 98_800.5, balance: 100_000 });
    expect((await c.next()).data).toEqual({
      type: "OrderProfit",
      session_id: "s-shape",
      login: "222",
      server: "Demo",
      data: {
        balance: 100_000,
        equity: 98_800.5,
        profit: -1199.5,
        margin: 300,
        freeMargin: 98_500.5,
      },
    });
    await patch({ emit: true, shape: "pascal_id" });
    expect((await c.next()).data).toEqual({
      type: "OrderProfit",
      id: "s-shape",
      timestampUTC: expect.any(Number),
      data: { Balance: 100_000, Equity: 98_800.5, Profit: -1199.5 },
    });
    await patch({ emit: true, shape: "account_id" });
    const byId = (await c.next()).data as Record<string, unknown>;
    expect(byId).toEqual({
      event: "equityUpdate",
      account_id: 42,
      equity: 98_800.5,
      balance: 100_000,
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
    });
    await patch({ emit: true, shape: "string_equity" });
    expect((await c.next()).data).toEqual({
      type: "orderProfit",
      sessionId: "s-shape",
      equity: "98800.50",
    });
    await patch({ emit: true, shape: "login_server" });
    expect((await c.next()).data).toEqual({
      type: "EquityUpdate",
      login: "222",
      server: "Demo",
      equity: 98_800.5,
      balance: 100_000,
    });
  });

  it("falls back to the full shape for account_id events of an account without one", async () => {
    sim.book.upsert(account("s-noid"));
    const c = await connect();
    await c.subscribe("s-noid");
    await control(sim, "/accounts/s-noid", { emit: true, shape: "account_id" }, "PATCH");
    expect((await c.next()).data).toMatchObject({ type: "OrderProfit", session_id: "s-noid" });
  });

  it("draws shapes from the mix, with non-equity events when weighted", async () => {
    sim.book.upsert(account("s-mix", { account_id: 7, volatility: 0.001 }));
    await control(sim, "/config", {
      mix: {
        full: 0,
        pascal_id: 1,
        account_id: 0,
        string_equity: 0,
        login_server: 0,
        non_equity: 1,
      },
    });
    const c = await connect();
    await c.subscribe("s-mix");
    sim.tick(20);
    const frames = [];
    for (let i = 0; i < sim.state().sent.events; i++) frames.push((await c.next()).data);
    const types = new Set(frames.map((f) => (f as { type: string }).type));
    expect(types).toEqual(new Set(["OrderProfit", "OrderUpdate"]));
    expect(frames.filter((f) => (f as { type: string }).type === "OrderProfit")).toHaveLength(20);
    for (const f of frames) {
      if ((f as { type: string }).type === "OrderProfit") expect(f).toMatchObject({ id: "s-mix" });
      else expect(f).toMatchObject({ session_id: "s-mix", data: expect.any(Object) });
    }
  });

  it("batches pending events into one JSON array frame", async () => {
    for (const id of ["s-1", "s-2", "s-3"]) sim.book.upsert(account(id));
    await control(sim, "/config", {
      batch_probability: 1,
      max_batch: 2,
      mix: { full: 1, pascal_id: 0, account_id: 0, string_equity: 0, login_server: 0 },
    });
    const c = await connect();
    for (const id of ["s-1", "s-2", "s-3"]) await c.subscribe(id);
    expect(sim.tick().sent).toBe(1);
    const first = (await c.next()).data as { session_id: string }[];
    const second = (await c.next()).data as { session_id: string }[];
    expect(first.map((e) => e.session_id)).toEqual(["s-1", "s-2"]);
    expect(second.map((e) => e.session_id)).toEqual(["s-3"]);
    expect(sim.state().sent).toMatchObject({ events: 3 });
  });

  it("sends binary frames holding UTF-8 JSON", async () => {
    sim.book.upsert(account("s-bin"));
    await control(sim, "/config", { binary_probability: 1 });
    const c = await connect();
    await c.subscribe("s-bin");
    await control(sim, "/accounts/s-bin", { equity: 99_999.99 }, "PATCH");
    const frame = await c.next();
    expect(frame.binary).toBe(true);
    expect(frame.data).toMatchObject({ session_id: "s-bin", data: { equity: 99_999.99 } });
  });

  it("stops sending after unsubscribe and after the connection closes", async () => {
    sim.book.upsert(account("s-gone"));
    const c = await connect();
    await c.subscribe("s-gone");
    c.send({ action: "unsubscribe", session_id: "s-gone" });
    await c.next();
    expect(sim.emitAccount("s-gone", "full")).toBe(0);
    await c.subscribe("s-gone");
    c.close();
    await control(sim, "/wait", { until: { connections: 0, unsubscribed: ["s-gone"] } });
    expect(sim.emitAccount("s-gone", "full")).toBe(0);
  });
});
