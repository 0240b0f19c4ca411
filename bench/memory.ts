/**
 * Memory per live account in the monitor.
 *
 * The real object first: one monitor (shard 0, reached by name through shard-entry.ts) in
 * `wrangler dev`, 10,000 then 50,000 subscriptions (quick: 2,000 then 5,000) subscribed by
 * RPC in calls of 2,000. At each step: the V8 heap of the Worker's isolate after a forced GC,
 * read through the inspector (inspector.ts: `HeapProfiler.collectGarbage`,
 * `Runtime.getHeapUsage`), and workerd's resident set; per account as growth from the empty
 * object. The heap is what the platform's 128 MB per isolate counts; the resident set also
 * holds each object's SQLite pages, allocator slack and RPC buffers.
 *
 * Then the model, 0 to 10,000 subscriptions (quick: to 2,000):
 *
 * In Node with `--expose-gc` (the script re-runs itself with it): the heap growth of the
 * monitor's in-memory structures, built as the Durable Object builds them (monitor-model.ts):
 * a SubscriptionTable (three maps) of Subscription objects, rules interned in one shared
 * object, and per account its own strings and a realistic RiskState, as they arrive through
 * RPC (structured clones). Measured after a full GC, with the inputs dropped, as the heap that
 * the table keeps alive. Same engine (V8) as workerd, so the object layout is alike; but Node
 * 24 is built without pointer compression (8-byte fields) and workerd with it (its binary says
 * `v8_enable_pointer_compression: 1`): the figure is an upper bound for workerd.
 *
 * Cross-check: the workerd resident-set growth per account from the last `events` run
 * (bench/results/events.json), which also counts RPC payloads and garbage not yet collected.
 *
 *   node bench/memory.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SubscriptionTable } from "../src/live/core/subscriptions.ts";
import { type BenchResult, fmt, note, quick, resultsDir, runBench, sleep } from "./common.ts";
import { isolateHeap } from "./inspector.ts";
import { buildTable, RulesInterner, subscribeInputs } from "./monitor-model.ts";
import { SHARD_ENTRY, shardClient } from "./shard-entry.ts";
import { rssBytes, startStack } from "./stack.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}

const BENCH = "memory";
const STEPS = quick ? [500, 1_000, 2_000] : [1_000, 2_000, 5_000, 10_000];
const GOAL_BYTES = 2_048;
/** Subscriptions on the real object at each step. */
const REAL_STEPS = quick ? [2_000, 5_000] : [10_000, 50_000];
const RPC_CHUNK = 2_000;

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

/** Tables stay reachable from here only, so nothing else keeps or frees them. */
const tables: SubscriptionTable[] = [];
let nextId = 1;

/** Builds a table in its own frame: the subscribe inputs die with the frame. */
function build(n: number): void {
  tables.push(buildTable(subscribeInputs(n, nextId), new RulesInterner()));
  nextId += n;
}

/**
 * A new macrotask, so that no frame that touched the inputs is on the stack when the heap is
 * measured (a stale interpreter register would keep them alive and count them).
 */
const nextTask = () => new Promise((r) => setTimeout(r, 0));

/** Heap kept alive by a table of `n` accounts, bytes. */
async function measure(n: number): Promise<number> {
  await nextTask();
  const before = heapUsed();
  build(n);
  await nextTask();
  return heapUsed() - before;
}

/** The real object: heap after GC and resident set per account at each of REAL_STEPS. */
async function realObject(report: Parameters<Parameters<typeof runBench>[1]>[0]): Promise<void> {
  const stack = await startStack(BENCH, { entrySource: SHARD_ENTRY });
  const shard = shardClient(stack, 0);
  await shard.ensure();
  await sleep(1_000);
  const pid = stack.workerdPid();
  const heap = async () => (await isolateHeap(stack.inspectorPort, 20_000))?.usedBytes ?? null;
  const heap0 = await heap();
  const rss0 = pid === null ? null : rssBytes(pid);
  const steps: Array<{ n: number; heap: number | null; rss: number | null }> = [];
  let held = 0;
  for (const n of REAL_STEPS) {
    const inputs = subscribeInputs(n - held, held + 1);
    for (let i = 0; i < inputs.length; i += RPC_CHUNK)
      await shard.subscribe(inputs.slice(i, i + RPC_CHUNK));
    held = n;
    await sleep(2_000);
    const step = { n, heap: await heap(), rss: pid === null ? null : rssBytes(pid) };
    steps.push(step);
    note(BENCH, `real object: ${n} subscriptions`);
    const perHeap = step.heap === null || heap0 === null ? null : (step.heap - heap0) / n;
    report.figure(
      `memory.workerd.n${n}.heap_per_account`,
      perHeap,
      "bytes",
      perHeap === null
        ? "the inspector did not answer"
        : `V8 heap of the isolate after a forced GC: ${fmt(heap0! / 2 ** 20)} -> ${fmt(step.heap! / 2 ** 20)} MiB with ${n} subscriptions on one monitor`,
      { op: "<", target: GOAL_BYTES },
    );
    report.figure(
      `memory.workerd.n${n}.rss_per_account`,
      step.rss === null || rss0 === null ? null : (step.rss - rss0) / n,
      "bytes",
      `workerd resident set ${fmt((rss0 ?? 0) / 2 ** 20)} -> ${fmt((step.rss ?? 0) / 2 ** 20)} MiB (with SQLite pages, allocator slack, RPC buffers)`,
    );
  }
  report.data.workerd = { heap0, rss0, steps };
  await stack.close();
}

await runBench(BENCH, async (report) => {
  await realObject(report);
  await measure(200); // warm up: code, shapes
  const points: Array<{ n: number; bytes: number }> = [];
  for (const n of STEPS) {
    const bytes = await measure(n);
    points.push({ n, bytes });
    report.figure(
      `memory.heap.n${n}`,
      bytes / n,
      "bytes/account",
      `heap growth ${fmt(bytes / 2 ** 20)} MiB for ${n} subscriptions`,
    );
  }
  const last = points[points.length - 1]!;
  const first = points[0]!;
  const slope = (last.bytes - first.bytes) / (last.n - first.n);
  report.figure(
    "memory.per_account",
    last.bytes / last.n,
    "bytes",
    `monitor structures at ${last.n} subscriptions, Node ${process.version} heap (no pointer compression: an upper bound for workerd); marginal ${fmt(slope)} bytes/account from ${first.n} to ${last.n}`,
    { op: "<", target: GOAL_BYTES },
  );
  report.data.points = points;
  report.data.marginal_bytes = slope;

  const eventsFile = `${resultsDir}/events.json`;
  let rss: number | null = null;
  let detail = "no events result yet: run `npm run bench -- events`";
  if (existsSync(eventsFile)) {
    const events = JSON.parse(readFileSync(eventsFile, "utf8")) as BenchResult;
    const f = events.figures.find((x) => x.name === "events.workerd_rss.per_account");
    if (f && f.value !== null) {
      rss = f.value;
      detail = `workerd resident-set growth per account from the events run of ${events.ran_at}${events.quick ? " (quick)" : ""}: ${f.details ?? ""}`;
    }
  }
  report.figure("memory.workerd_rss_per_account", rss, "bytes", detail);
});
