/**
 * One micro-benchmark figure of one tree, for compare.ts: the same code whichever tree it
 * times, importing that tree's modules.
 *
 *   node bench/compare-micro.ts <tree-root> <risk-v1|risk-v2|bare|live|orders>
 *
 * - `risk-v1`, `risk-v2`: the engine on the two mixes of risk-mix.ts (5,000,000 readings).
 * - `bare`: parse + route + risk engine, 1 event per frame, 10,000 accounts: the tree's own
 *   bench/monitor-model.ts (its parseFrame, SubscriptionTable and event path), timed here.
 * - `live`: the monitor's whole reading path (the tree's `Readings.onFrame`: the server-time
 *   judgement, the unsynced guard, the persist backlog and the order hand-off included),
 *   1 event per frame, 10,000 accounts (live-path.ts; trees from version 3 on).
 * - `orders`: the same with one frame in ten an `OrderUpdate` with 6 orders, the orders
 *   ignored (`orders.off`) and handed over (`orders`, the value), alternated in one process;
 *   `orders.on_off` is their ratio (live-path.ts).
 *
 * Prints one JSON line: `{ "figure", "value", "cpu_value", "unit", ... }`; `value` is null
 * (with `error`) when the tree cannot run the figure (version 2 rules before version 2).
 */
import { pathToFileURL } from "node:url";
import { livePath, loadTree, timeLive, withOrderEvents, type Timed } from "./live-path.ts";
import { runMix, type RiskModule } from "./risk-mix.ts";

const RISK_EVALUATIONS = 5_000_000;
const BARE_ACCOUNTS = 10_000;
const BARE_MS = 3_000;

const [treeArg, figure] = process.argv.slice(2);
if (!treeArg || !figure)
  throw new Error("usage: compare-micro.ts <tree-root> <risk-v1|risk-v2|bare|live|orders>");
const tree = treeArg.endsWith("/") ? treeArg : `${treeArg}/`;
const load = (path: string): Promise<unknown> => import(pathToFileURL(`${tree}${path}`).href);

interface MonitorModel {
  subscribeInputs(n: number): unknown[];
  buildTable(inputs: unknown[]): unknown;
  simAccountsOf(inputs: unknown[]): unknown[];
  floodFrames(accounts: unknown[], perFrame: number, count: number): string[];
  parseRouteApply(
    table: unknown,
    frame: string,
    counts: { events: number; routed: number; applied: number },
    now: number,
  ): void;
}

/** Events per second of `step` over the frames, best of three runs after a warm-up. */
function timeFrames(
  frames: string[],
  ms: number,
  step: (frame: string, counts: { events: number; routed: number; applied: number }) => void,
) {
  const run = (forMs: number) => {
    const counts = { events: 0, routed: 0, applied: 0 };
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    let i = 0;
    let elapsed = 0;
    for (;;) {
      for (let k = 0; k < 256; k++) step(frames[i++ % frames.length]!, counts);
      elapsed = performance.now() - started;
      if (elapsed >= forMs) break;
    }
    const cpu = process.cpuUsage(cpu0);
    return { counts, ms: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  run(ms / 2);
  let best: ReturnType<typeof run> | null = null;
  let bestCpu: ReturnType<typeof run> | null = null;
  for (let r = 0; r < 3; r++) {
    const got = run(ms / 3);
    if (!best || got.counts.events / got.ms > best.counts.events / best.ms) best = got;
    if (!bestCpu || got.counts.events / got.cpuMs > bestCpu.counts.events / bestCpu.cpuMs)
      bestCpu = got;
  }
  return {
    rate: (best!.counts.events / best!.ms) * 1000,
    cpuRate: (bestCpu!.counts.events / bestCpu!.cpuMs) * 1000,
    counts: best!.counts,
  };
}

let out: Record<string, unknown>;
try {
  if (figure === "risk-v1" || figure === "risk-v2") {
    const R = (await load("src/risk/index.ts")) as RiskModule;
    const r = runMix(R, figure === "risk-v1" ? "v1" : "v2", RISK_EVALUATIONS);
    out = {
      figure,
      value: r.evaluations_per_s,
      cpu_value: r.evaluations_per_cpu_s,
      unit: "evaluations/s",
      detail: r,
    };
  } else if (figure === "bare") {
    const m = (await load("bench/monitor-model.ts")) as MonitorModel;
    const inputs = m.subscribeInputs(BARE_ACCOUNTS);
    const table = m.buildTable(inputs);
    const frames = m.floodFrames(m.simAccountsOf(inputs), 1, Math.max(20_000, BARE_ACCOUNTS));
    const now = Date.now();
    const t = timeFrames(frames, BARE_MS, (f, c) => m.parseRouteApply(table, f, c, now));
    if (t.counts.applied !== t.counts.events)
      throw new Error(`bare loop: ${t.counts.events - t.counts.applied} events not applied`);
    out = { figure, value: Math.round(t.rate), cpu_value: Math.round(t.cpuRate), unit: "events/s" };
  } else if (figure === "live" || figure === "orders") {
    const t = await loadTree(tree);
    const inputs = t.model.subscribeInputs(BARE_ACCOUNTS);
    const table = t.model.buildTable(inputs);
    const plain = t.model.floodFrames(t.model.simAccountsOf(inputs), 1, 20_000);
    const rate = (r: Timed) => (r.events / r.ms) * 1000;
    const cpuRate = (r: Timed) => (r.events / r.cpuMs) * 1000;
    const best = (xs: Timed[], k: (r: Timed) => number) => Math.max(...xs.map(k));
    if (figure === "live") {
      const path = livePath(t, table, false);
      await timeLive(plain, BARE_MS / 2, path.onFrame);
      const got: Timed[] = [];
      for (let r = 0; r < 3; r++) got.push(await timeLive(plain, BARE_MS / 3, path.onFrame));
      if (path.applied() === 0) throw new Error("live path: nothing applied");
      out = {
        figure,
        value: Math.round(best(got, rate)),
        cpu_value: Math.round(best(got, cpuRate)),
        unit: "events/s",
      };
    } else {
      const frames = withOrderEvents(plain);
      const off = livePath(t, table, false);
      const on = livePath(t, table, true);
      await timeLive(frames, BARE_MS / 4, off.onFrame);
      await timeLive(frames, BARE_MS / 4, on.onFrame);
      // Alternated, best of each: interference only ever slows a run down.
      const got = { off: [] as Timed[], on: [] as Timed[] };
      for (let round = 0; round < 3; round++) {
        got.off.push(await timeLive(frames, BARE_MS / 3, off.onFrame));
        got.on.push(await timeLive(frames, BARE_MS / 3, on.onFrame));
      }
      out = {
        figure,
        value: Math.round(best(got.on, rate)),
        cpu_value: Math.round(best(got.on, cpuRate)),
        unit: "events/s",
        extra: {
          "orders.off": {
            value: Math.round(best(got.off, rate)),
            cpu_value: Math.round(best(got.off, cpuRate)),
          },
          "orders.on_off": {
            value: best(got.on, rate) / best(got.off, rate),
            cpu_value: best(got.on, cpuRate) / best(got.off, cpuRate),
          },
        },
      };
    }
  } else throw new Error(`unknown figure ${figure}`);
} catch (err) {
  out = {
    figure,
    value: null,
    cpu_value: null,
    error: err instanceof Error ? err.message : String(err),
  };
}
console.log(JSON.stringify(out));
