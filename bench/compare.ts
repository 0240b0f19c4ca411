/**
 * `npm run bench -- compare <git-ref>`: this tree against another commit, side by side, on
 * the micro-benchmarks of the hot path and the monitor flood.
 *
 *   npm run bench -- compare <git-ref> [--rounds=5] [--flood-rounds=2] [--flood-seconds=10]
 *                                      [--no-flood] [--no-micro] [--install] [--keep]
 *
 * 1. Checks the commit out in a temporary git worktree (`git worktree add --detach`), with
 *    this tree's node_modules linked in (`--install`: `npm install` there instead, for a
 *    commit whose dependencies differ), and builds its console (its stack serves it).
 * 2. Runs every figure for both trees, alternating which goes first from round to round
 *    (base, head; head, base; ...), each run in a fresh process:
 *    - `risk-v1`, `risk-v2`: the risk engine on the version 1 and version 2 mixes
 *      (risk-mix.ts, compare-micro.ts), evaluations/s;
 *    - `bare`: parse + route + risk engine, 1 event per frame, 10,000 accounts, events/s;
 *    - `live`: the monitor's whole reading path (`Readings.onFrame`), the same frames, events/s;
 *      `orders`: with 1 frame in 10 an `OrderUpdate`, orders handed over, and beside it
 *      `orders.off` (orders ignored) and `orders.on_off`, their ratio in one process
 *      (live-path.ts; trees from version 3 on);
 *    - `flood.single`, `flood.batched`: the monitor at 10,000 live accounts, 1 and 20 events
 *      per frame, events/s; `flood.half_lag_p99`: the lag p99 at half the single rate, ms
 *      (compare-flood.ts; each round starts a stack per tree; a failed flood is run once more).
 * 3. Prints each figure's median per tree with its range, and the ratio head / base: the
 *    median of the per-round ratios and their range (the spread). For the micro-benchmarks
 *    the same per CPU second of the process, and for the floods per CPU second of workerd,
 *    which the neighbours' load on a shared machine moves less than the wall clock. Saves everything to bench/results/compare-<sha>.json.
 *
 * A ratio above 1 means this tree is faster (for the lag: above 1 means this tree's lag is
 * higher, i.e. worse).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { machineInfo, note, root } from "./common.ts";

const argv = process.argv.slice(2);
const ref = argv.find((a) => !a.startsWith("--"));
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string, fallback: number): number => {
  const raw = argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
};
if (!ref) {
  console.error(
    "usage: npm run bench -- compare <git-ref> [--rounds=5] [--flood-rounds=2] [--flood-seconds=10] [--no-flood] [--no-micro] [--install] [--keep]",
  );
  process.exit(2);
}
const ROUNDS = flag("no-micro") ? 0 : option("rounds", 5);
const FLOOD_ROUNDS = flag("no-flood") ? 0 : option("flood-rounds", 2);
const FLOOD_SECONDS = option("flood-seconds", 10);

const MICRO = ["risk-v1", "risk-v2", "bare", "live", "orders"] as const;
/** Figures a micro run reports beside its own (`orders`: the orders ignored, and the ratio). */
const EXTRA = ["orders.off", "orders.on_off"] as const;
const FLOOD = ["flood.single", "flood.batched", "flood.half_lag_p99"] as const;
type Figure = (typeof MICRO)[number] | (typeof EXTRA)[number] | (typeof FLOOD)[number];
const UNITS: Record<Figure, string> = {
  "risk-v1": "evaluations/s",
  "risk-v2": "evaluations/s",
  bare: "events/s",
  live: "events/s",
  orders: "events/s",
  "orders.off": "events/s",
  "orders.on_off": "ratio",
  "flood.single": "events/s",
  "flood.batched": "events/s",
  "flood.half_lag_p99": "ms",
};

const git = (...args: string[]): string =>
  execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

const sha = git("rev-parse", "--verify", `${ref}^{commit}`);
const headSha = git("rev-parse", "HEAD");
const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
const base = `${tmpdir()}/sentinel-compare-${sha.slice(0, 12)}/`;
const head = root;

let current: ReturnType<typeof spawn> | null = null;
let stopping = false;
function cleanup(): void {
  if (flag("keep") || !existsSync(base)) return;
  try {
    git("worktree", "remove", "--force", base);
  } catch {
    rmSync(base, { recursive: true, force: true });
    git("worktree", "prune");
  }
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    stopping = true;
    if (current?.pid) process.kill(-current.pid, "SIGTERM");
  });
}

/** Runs a child to its end; resolves its stdout. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // In a process group of its own: a tree's flood script that dies on an unhandled error
    // leaves its stack (wrangler, workerd) behind, and the whole group is stopped at exit.
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
    current = child;
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGTERM"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      current = null;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // the group is gone already
      }
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

function prepareBase(): void {
  if (existsSync(base)) cleanup();
  note("compare", `checking out ${ref} (${sha.slice(0, 12)}) in ${base}`);
  git("worktree", "add", "--detach", base, sha);
  if (flag("install")) {
    note("compare", "npm install in the worktree");
    execFileSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: base, stdio: "inherit" });
  } else {
    symlinkSync(`${root}node_modules`, `${base}node_modules`, "dir");
  }
  // A tree with a console serves it from its stack: build it (older trees have none).
  const scripts = (
    JSON.parse(readFileSync(`${base}package.json`, "utf8")) as {
      scripts?: Record<string, string>;
    }
  ).scripts;
  if (FLOOD_ROUNDS > 0 && scripts?.["build:console"]) {
    note("compare", "building the worktree's console (its stack serves it)");
    execFileSync("npm", ["run", "build:console"], { cwd: base, stdio: "ignore" });
  }
}

interface Sample {
  value: number | null;
  cpu_value?: number | null;
  error?: string;
  extra?: Partial<Record<(typeof EXTRA)[number], Sample>>;
}
type Tree = "base" | "head";
const samples: Record<Tree, Partial<Record<Figure, Sample[]>>> = { base: {}, head: {} };
const push = (tree: Tree, figure: Figure, s: Sample) => (samples[tree][figure] ??= []).push(s);

async function micro(tree: Tree, figure: (typeof MICRO)[number]): Promise<void> {
  const dir = tree === "base" ? base : head;
  try {
    const out = await run(
      process.execPath,
      [`${root}bench/compare-micro.ts`, dir, figure],
      root,
      5 * 60_000,
    );
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as Sample;
    push(tree, figure, r);
    if (figure === "orders")
      for (const f of EXTRA) push(tree, f, r.extra?.[f] ?? { value: null, error: r.error });
  } catch (err) {
    push(tree, figure, { value: null, error: String(err) });
    if (figure === "orders")
      for (const f of EXTRA) push(tree, f, { value: null, error: String(err) });
  }
}

async function floodOnce(tree: Tree, retry = true): Promise<void> {
  const dir = tree === "base" ? base : head;
  try {
    const out = await run(
      process.execPath,
      [`${root}bench/compare-flood.ts`, dir, String(FLOOD_SECONDS)],
      dir,
      20 * 60_000,
    );
    const line = out.split("\n").find((l) => l.startsWith("COMPARE-FLOOD "));
    if (!line) throw new Error(`no result line: ${out.slice(-1000)}`);
    type Run = { rate: number; workerd_cpu: number | null; lag_p99_ms: number | null };
    const r = JSON.parse(line.slice("COMPARE-FLOOD ".length)) as {
      single: Run;
      batched: Run;
      half: Run;
    };
    // Per CPU second of workerd: events applied per second of the cores it used, which the
    // neighbours' load moves less than the wall clock.
    const perCpu = (run: Run) => (run.workerd_cpu ? Math.round(run.rate / run.workerd_cpu) : null);
    push(tree, "flood.single", { value: r.single.rate, cpu_value: perCpu(r.single) });
    push(tree, "flood.batched", { value: r.batched.rate, cpu_value: perCpu(r.batched) });
    push(tree, "flood.half_lag_p99", { value: r.half.lag_p99_ms });
  } catch (err) {
    // A saturated machine sometimes fails a read of the monitor mid-flood (a 500 from
    // GET /v1/monitor, which ends the tree's flood script): once more, then recorded.
    if (retry && !stopping) {
      note("compare", `flood of ${tree} failed, once more: ${String(err).slice(0, 300)}`);
      return floodOnce(tree, false);
    }
    for (const f of FLOOD) push(tree, f, { value: null, error: String(err) });
  }
}

const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const range = (xs: number[]): [number, number] | null =>
  xs.length ? [Math.min(...xs), Math.max(...xs)] : null;

/** Per-round ratios head / base of one figure (rounds where both ran). */
function ratios(figure: Figure, cpu: boolean): number[] {
  const b = samples.base[figure] ?? [];
  const h = samples.head[figure] ?? [];
  const out: number[] = [];
  for (let i = 0; i < Math.min(b.length, h.length); i++) {
    const bv = cpu ? b[i]!.cpu_value : b[i]!.value;
    const hv = cpu ? h[i]!.cpu_value : h[i]!.value;
    if (typeof bv === "number" && typeof hv === "number" && bv > 0) out.push(hv / bv);
  }
  return out;
}

const fmtN = (n: number | null): string =>
  n === null
    ? "n/a"
    : Math.abs(n) >= 1000
      ? Math.round(n).toLocaleString("en-US")
      : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);

function summarize(): Record<string, unknown> {
  const rows: Record<string, unknown>[] = [];
  const lines: string[] = [];
  lines.push(
    `figure | ${ref} (${sha.slice(0, 7)}) median [range] | this tree (${headSha.slice(0, 7)}${dirty ? "+changes" : ""}) median [range] | ratio median [spread] | per CPU second: ratio [spread]`,
  );
  lines.push("---|---|---|---|---");
  for (const figure of [
    ...(ROUNDS ? [...MICRO, ...EXTRA] : []),
    ...(FLOOD_ROUNDS ? FLOOD : []),
  ] as Figure[]) {
    const vals = (t: Tree) =>
      (samples[t][figure] ?? []).map((s) => s.value).filter((v): v is number => v !== null);
    const b = vals("base");
    const h = vals("head");
    const r = ratios(figure, false);
    const rc = ratios(figure, true);
    const errors = [...(samples.base[figure] ?? []), ...(samples.head[figure] ?? [])]
      .map((s) => s.error)
      .filter((e): e is string => !!e);
    const cell = (xs: number[]) => {
      const rg = range(xs);
      return rg ? `${fmtN(median(xs))} [${fmtN(rg[0])}-${fmtN(rg[1])}]` : "n/a";
    };
    const ratioCell = (xs: number[]) => {
      const rg = range(xs);
      return rg ? `${median(xs)!.toFixed(2)}x [${rg[0].toFixed(2)}-${rg[1].toFixed(2)}]` : "n/a";
    };
    const cpuVals = (t: Tree) =>
      (samples[t][figure] ?? [])
        .map((s) => s.cpu_value)
        .filter((v): v is number => typeof v === "number");
    const cpuNote = cpuVals("head").length
      ? `${rc.length ? ratioCell(rc) : "n/a"} (this tree ${fmtN(median(cpuVals("head")))}/CPU s)`
      : "-";
    lines.push(
      `${figure} (${UNITS[figure]}) | ${cell(b)} | ${cell(h)} | ${ratioCell(r)} | ${cpuNote}`,
    );
    rows.push({
      figure,
      unit: UNITS[figure],
      base: b,
      head: h,
      base_cpu: (samples.base[figure] ?? []).map((s) => s.cpu_value ?? null),
      head_cpu: (samples.head[figure] ?? []).map((s) => s.cpu_value ?? null),
      ratio_median: median(r),
      ratio_range: range(r),
      cpu_ratio_median: median(rc),
      cpu_ratio_range: range(rc),
      errors: [...new Set(errors)],
    });
  }
  process.stdout.write(`\n${lines.join("\n")}\n`);
  return { rows, table: lines };
}

let exitCode = 0;
const started = Date.now();
try {
  prepareBase();
  note(
    "compare",
    `${ROUNDS} rounds of ${MICRO.join(", ")}${FLOOD_ROUNDS ? `, ${FLOOD_ROUNDS} rounds of the monitor flood (${FLOOD_SECONDS} s per flood)` : ""}; trees alternate which goes first`,
  );
  for (let round = 0; round < ROUNDS && !stopping; round++) {
    const order: Tree[] = round % 2 === 0 ? ["base", "head"] : ["head", "base"];
    for (const figure of MICRO) for (const tree of order) if (!stopping) await micro(tree, figure);
    const last = (t: Tree, f: Figure) => fmtN(samples[t][f]?.at(-1)?.value ?? null);
    note(
      "compare",
      `round ${round + 1}/${ROUNDS}: ${MICRO.map((f) => `${f} ${last("base", f)} -> ${last("head", f)}`).join("; ")}`,
    );
  }
  for (let round = 0; round < FLOOD_ROUNDS && !stopping; round++) {
    const order: Tree[] = round % 2 === 0 ? ["base", "head"] : ["head", "base"];
    for (const tree of order) if (!stopping) await floodOnce(tree);
    const last = (t: Tree, f: Figure) => fmtN(samples[t][f]?.at(-1)?.value ?? null);
    note(
      "compare",
      `flood round ${round + 1}/${FLOOD_ROUNDS}: ${FLOOD.map((f) => `${f} ${last("base", f)} -> ${last("head", f)}`).join("; ")}`,
    );
  }
  const summary = summarize();
  const file = `${root}bench/results/compare-${sha.slice(0, 12)}.json`;
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        ref,
        base_sha: sha,
        head_sha: headSha,
        head_dirty: dirty,
        ran_at: new Date(started).toISOString(),
        duration_s: Math.round((Date.now() - started) / 1000),
        rounds: ROUNDS,
        flood_rounds: FLOOD_ROUNDS,
        flood_seconds: FLOOD_SECONDS,
        machine: machineInfo(),
        samples,
        ...summary,
      },
      null,
      2,
    ) + "\n",
  );
  note("compare", `done in ${((Date.now() - started) / 60_000).toFixed(1)} min; ${file}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  cleanup();
}
process.exit(stopping ? 130 : exitCode);
