/**
 * The live monitor's whole per-event path in Node, written against any tree that has it
 * (`src/live/readings.ts`, version 3 and later), so compare.ts times two trees with the same
 * code: each frame goes through the tree's own `Readings.onFrame` (parse, route, the
 * server-time judgement, the reading-time window, the unsynced guard, the engine, the
 * counters, the lag window, the persist backlog, the writer's dirty set, the order hand-off),
 * with a store that keeps nothing and no Postgres. 1 event per frame, as the simulator floods.
 *
 * - `live`: plain equity events (`OrderProfit`);
 * - `orders`: the same frames with one in ten an `OrderUpdate` carrying its orders (an update
 *   and a 5-position open list, as bench/trades.ts), timed with the orders ignored (a monitor
 *   without the hand-off: "trade rules off") and handed over (`OrderHandoff.add`, drained after
 *   each frame that carried orders, as the monitor's send would take it: "trade rules on"), alternated in one
 *   process; the ratio on / off is the figure (docs/benchmarks).
 */
import { pathToFileURL } from "node:url";

/** What the figures need of a tree; loaded from the tree's own files. */
interface Tree {
  Readings: new (host: unknown) => { onFrame(data: string): void };
  OrderHandoff: new (q: unknown) => {
    add(accountId: number, orders: unknown, now: number, learntOffsetMs?: number): void;
    drain(): unknown[];
  };
  PostgresWriter: new (host: unknown) => unknown;
  newCounters(): unknown;
  model: {
    subscribeInputs(n: number): Array<{ rules: object }>;
    buildTable(inputs: unknown[]): unknown;
    simAccountsOf(inputs: unknown[]): unknown[];
    floodFrames(accounts: unknown[], perFrame: number, count: number): string[];
  };
}

export async function loadTree(root: string): Promise<Tree> {
  const load = async (path: string) =>
    (await import(pathToFileURL(`${root}${path}`).href)) as Record<string, unknown>;
  const readings = await load("src/live/readings.ts");
  const handoff = await load("src/live/order-handoff.ts");
  const writer = await load("src/live/writer.ts");
  const status = await load("src/live/core/status.ts");
  const model = await load("bench/monitor-model.ts");
  return {
    Readings: readings.Readings as Tree["Readings"],
    OrderHandoff: handoff.OrderHandoff as Tree["OrderHandoff"],
    PostgresWriter: writer.PostgresWriter as Tree["PostgresWriter"],
    newCounters: status.newCounters as Tree["newCounters"],
    model: model as unknown as Tree["model"],
  };
}

function order(ticket: number, openMs: number) {
  return {
    ticket,
    symbol: ticket % 3 === 0 ? "EURUSD" : "USDJPY.r",
    orderType: ticket % 2 === 0 ? "Buy" : "Sell",
    lots: "0.50",
    openPrice: 1.0842,
    openTime: new Date(openMs).toISOString().slice(0, 23),
    stopLoss: ticket % 4 === 0 ? 0 : 1.07,
    takeProfit: 0,
    profit: -12.5,
    swap: 0,
    commission: -3.5,
  };
}

/** One in ten frames turned into an `OrderUpdate` with an update and a 5-position open list. */
export function withOrderEvents(frames: string[]): string[] {
  const now = Date.now();
  return frames.map((f, i) => {
    if (i % 10 !== 0) return f;
    const e = JSON.parse(f) as { type: string; data: Record<string, unknown> };
    const opened = Array.from({ length: 5 }, (_, k) => order(i * 10 + k, now - k * 60_000));
    e.type = "OrderUpdate";
    e.data.update = { type: "MarketOpen", order: opened[0] };
    e.data.openedOrders = opened;
    return JSON.stringify(e);
  });
}

/** A monitor's reading path over a table, with or without the order hand-off. */
export function livePath(
  t: Tree,
  table: unknown,
  handOrders: boolean,
): { onFrame(frame: string): void; applied(): number } {
  const counters = t.newCounters() as { applied: number };
  const writer = new t.PostgresWriter({
    now: () => Date.now(),
    outbox: {
      readOutbox: () => [],
      ackOutbox: () => {},
      ackOutboxEntry: () => {},
      deadLetter: () => {},
      outboxSize: () => 0,
    },
    current: () => undefined,
    write: () => Promise.reject(new Error("the bench writes nothing")),
    wakeAt: () => {},
  });
  const store = {
    atomically: <T>(fn: () => T): T => fn(),
    saveRisk: () => {},
    saveRisks: () => {},
    enqueue: () => {},
    setMeta: () => {},
  };
  const handoff = new t.OrderHandoff({ sendBatch: async () => undefined });
  const host: Record<string, unknown> = {
    store,
    subs: table,
    writer,
    counters,
    soon: () => {},
    now: () => Date.now(),
  };
  let added = false;
  if (handOrders)
    host.onOrders = (accountId: number, orders: unknown, now: number, offsetMs?: number) => {
      handoff.add(accountId, orders, now, offsetMs);
      added = true;
    };
  const readings = new t.Readings(host);
  return {
    onFrame(frame: string) {
      readings.onFrame(frame);
      // The monitor sends after each frame that handed orders over (a microtask, I/O off the
      // path); this loop yields only every 256 frames, so the pending batch is taken here
      // (the send's synchronous part) instead of sent.
      if (added) {
        handoff.drain();
        added = false;
      }
    },
    applied: () => counters.applied,
  };
}

/** One timed run of `onFrame` over the frames (cycling), with what it cost the process. */
export interface Timed {
  events: number;
  ms: number;
  cpuMs: number;
}

/**
 * Runs `onFrame` over the frames for about `ms`, yielding to the microtask queue every 256
 * frames: the monitor's per-frame microtasks (the order hand-off's send) run as they would
 * between the socket's messages, instead of piling up until the loop ends.
 */
export async function timeLive(
  frames: string[],
  ms: number,
  onFrame: (frame: string) => void,
): Promise<Timed> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let i = 0;
  let elapsed = 0;
  for (;;) {
    for (let k = 0; k < 256; k++) onFrame(frames[i++ % frames.length]!);
    await Promise.resolve();
    elapsed = performance.now() - started;
    if (elapsed >= ms) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return { events: i, ms: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 };
}
