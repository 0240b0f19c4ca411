import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control, TestClient, type Frame } from "./helpers.ts";

let sim: Simulator;
const clients: TestClient[] = [];
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function collect(c: TestClient, frames: number): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let i = 0; i < frames; i++) out.push(await c.next());
  return out;
}

it("floods subscribed accounts, 20 events per frame, each stamped with its send time", async () => {
  sim.book.upsert(account("f-1"));
  sim.book.upsert(account("f-2"));
  sim.book.upsert(account("f-other"));
  const c = await TestClient.open(sim.eventsUrl);
  clients.push(c);
  await c.subscribe("f-1");
  await c.subscribe("f-2");
  const t0 = Date.now();
  const r = await control(sim, "/flood", { events_per_frame: 20, duration_ms: 50 });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({
    connections: 1,
    frames: expect.any(Number),
    duration_ms: expect.any(Number),
  });
  expect(r.body.events).toBe(r.body.frames * 20);
  expect(r.body.frames).toBeGreaterThan(0);
  const events = (await collect(c, r.body.frames)).flatMap((f) => {
    expect(f.data).toHaveLength(20);
    return f.data as { session_id: string; timestampUTC: number }[];
  });
  expect(events).toHaveLength(r.body.events);
  expect(new Set(events.map((e) => e.session_id))).toEqual(new Set(["f-1", "f-2"]));
  expect(events.every((e) => e.timestampUTC >= t0 && e.timestampUTC <= Date.now())).toBe(true);
});

it("floods one event per frame at a capped rate", async () => {
  sim.book.upsert(account("f-rate"));
  const c = await TestClient.open(sim.eventsUrl);
  clients.push(c);
  await c.subscribe("f-rate");
  const r = await control(sim, "/flood", {
    events_per_frame: 1,
    duration_ms: 200,
    rate: 100,
    shape: "pascal_id",
  });
  // The cap, whatever the machine's load: never more than rate x elapsed, plus one frame.
  expect(r.body.events).toBeGreaterThanOrEqual(1);
  expect(r.body.events).toBeLessThanOrEqual(Math.floor((100 * r.body.duration_ms) / 1000) + 1);
  const [first] = await collect(c, 1);
  expect(first?.data).toMatchObject({
    type: "OrderProfit",
    id: "f-rate",
    timestampUTC: expect.any(Number),
  });
});
