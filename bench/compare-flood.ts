/**
 * The monitor flood of one tree at 10,000 live accounts, for compare.ts: the tree's own
 * stack (its wrangler dev, migrations, simulator) driven by that tree's bench helpers
 * (stack.ts, fixtures.ts, flood-monitor.ts), with the same sequence for every tree: go live,
 * flood 1 event per frame, then 20 per frame, then at half the single rate (lag).
 *
 *   node bench/compare-flood.ts <tree-root> [flood-seconds]
 *
 * Prints one line `COMPARE-FLOOD {json}` with the three figures.
 */
import { pathToFileURL } from "node:url";

const ACCOUNTS = 10_000;
const [treeArg, secondsArg] = process.argv.slice(2);
if (!treeArg) throw new Error("usage: compare-flood.ts <tree-root> [flood-seconds]");
const tree = treeArg.endsWith("/") ? treeArg : `${treeArg}/`;
const floodMs = Number(secondsArg ?? 10) * 1000;
const load = (path: string): Promise<unknown> => import(pathToFileURL(`${tree}${path}`).href);

interface FloodRun {
  rate: number;
  lag_p99_ms: number | null;
  lag_p99_median_ms: number | null;
  reconnects: number;
  workerd_cpu: number | null;
  sim_cpu: number;
  machine_cpu: number;
}
interface Stack {
  monitor(): Promise<unknown>;
  workerdPid(): number | null;
}
const common = (await load("bench/common.ts")) as {
  runBench(name: string, fn: (report: unknown) => Promise<void>): Promise<void>;
  sleep(ms: number): Promise<void>;
};
const stackMod = (await load("bench/stack.ts")) as {
  startStack(bench: string): Promise<Stack>;
};
const fixtures = (await load("bench/fixtures.ts")) as {
  BAND_EQUITY: number;
  goLive(
    stack: Stack,
    opts: { tag: string; count: number; already: number; equity: number },
  ): Promise<{ subscribeMs: number }>;
};
const flood = (await load("bench/flood-monitor.ts")) as {
  floodMonitor(
    stack: Stack,
    pid: number | null,
    n: number,
    perFrame: number,
    ms: number,
    rate?: number,
  ): Promise<FloodRun>;
};

const brief = (r: FloodRun) => ({
  rate: Math.round(r.rate),
  lag_p99_ms: r.lag_p99_ms,
  lag_p99_median_ms: r.lag_p99_median_ms,
  reconnects: r.reconnects,
  workerd_cpu: r.workerd_cpu,
  sim_cpu: r.sim_cpu,
  machine_cpu: r.machine_cpu,
});

await common.runBench("compare-flood", async () => {
  const stack = await stackMod.startStack("compare-flood");
  await stack.monitor();
  await common.sleep(1_000);
  const pid = stack.workerdPid();
  const { subscribeMs } = await fixtures.goLive(stack, {
    tag: "cf",
    count: ACCOUNTS,
    already: 0,
    equity: fixtures.BAND_EQUITY,
  });
  await common.sleep(2_000);
  const single = await flood.floodMonitor(stack, pid, ACCOUNTS, 1, floodMs);
  const batched = await flood.floodMonitor(stack, pid, ACCOUNTS, 20, floodMs);
  const halfRate = Math.max(1_000, Math.round(single.rate / 2));
  const half = await flood.floodMonitor(stack, pid, ACCOUNTS, 1, floodMs, halfRate);
  process.stdout.write(
    `COMPARE-FLOOD ${JSON.stringify({
      accounts: ACCOUNTS,
      flood_ms: floodMs,
      subscribe_ms: subscribeMs,
      single: brief(single),
      batched: brief(batched),
      half: { ...brief(half), rate_limit: halfRate },
    })}\n`,
  );
});
