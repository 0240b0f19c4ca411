/**
 * `npm run bench`: runs every benchmark, one process each, in order; prints one line per
 * figure; leaves every result in bench/results/ (`<name>.json`, and all of them merged in
 * `latest.json` with the machine).
 *
 *   npm run bench                      # all (~10-15 min on 2 cores)
 *   npm run bench -- events breach     # some
 *   npm run bench -- scale             # 100,000 live accounts over 8 shards
 *   npm run bench -- --quick           # the ~2-minute smoke variant (or BENCH_QUICK=1)
 *   BENCH_VERBOSE=1 npm run bench -- sweep   # with wrangler's and the simulator's output
 *   npm run bench -- compare <git-ref>       # this tree against a commit (compare.ts)
 *
 * risk-eval.ts is the engine's own benchmark with its own output; its summary line is passed
 * through and its JSON line saved like the others' results.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { type BenchResult, machineInfo, note, quick, root, saveResult } from "./common.ts";

/** In the order they run. */
const BENCHMARKS = [
  "risk-eval",
  "sweep",
  "events",
  "resubscribe",
  "breach",
  "memory",
  "scale",
  "exports",
  "console",
  "alerts",
  "trades",
  "enforcement-stack",
] as const;
type Name = (typeof BENCHMARKS)[number];

/** Most a benchmark may take before it is stopped (ms). */
const TIMEOUT_MS = { full: 12 * 60_000, quick: 4 * 60_000 };
/** Longer limits for the benchmarks that build 100,000 accounts (ms). */
const LONG_TIMEOUT_MS: Partial<Record<Name, { full: number; quick: number }>> = {
  scale: { full: 25 * 60_000, quick: 6 * 60_000 },
};
/** risk-eval evaluations in quick mode (its default is 10,000,000). */
const QUICK_EVALUATIONS = 2_000_000;

// `npm run bench -- compare <git-ref> ...`: this tree against another commit (compare.ts).
if (process.argv[2] === "compare") {
  const child = spawn(process.execPath, [`${root}bench/compare.ts`, ...process.argv.slice(3)], {
    cwd: root,
    stdio: "inherit",
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  child.on("exit", (code) => process.exit(code ?? 1));
  await new Promise(() => {});
}

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const unknown = args.filter((a) => !(BENCHMARKS as readonly string[]).includes(a));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHMARKS.join(", ")}`);
  process.exit(2);
}
const selected: Name[] = args.length ? BENCHMARKS.filter((b) => args.includes(b)) : [...BENCHMARKS];

let current: ChildProcess | null = null;
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    interrupted = true;
    // Each benchmark stops what it started on SIGTERM.
    current?.kill("SIGTERM");
  });
}

function run(name: Name): Promise<{ code: number | null; stdout: string }> {
  const isRiskEval = name === "risk-eval";
  const argv = [
    `${root}bench/${name}.ts`,
    ...(isRiskEval ? (quick ? [String(QUICK_EVALUATIONS)] : []) : quick ? ["--quick"] : []),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, {
      cwd: root,
      stdio: ["ignore", isRiskEval ? "pipe" : "inherit", "inherit"],
    });
    current = child;
    let stdout = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    const limits = LONG_TIMEOUT_MS[name] ?? TIMEOUT_MS;
    const limit = quick ? limits.quick : limits.full;
    const timer = setTimeout(() => {
      note("run", `${name} took longer than ${limit / 60_000} min: stopping it`);
      child.kill("SIGTERM");
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 30_000).unref();
    }, limit);
    child.on("exit", (code) => {
      clearTimeout(timer);
      current = null;
      resolve({ code, stdout });
    });
  });
}

/** Saves risk-eval's JSON line as a result and prints its summary line. */
function recordRiskEval(stdout: string, started: number, code: number | null): boolean {
  const lines = stdout.split("\n").filter((l) => l.trim());
  const summary = lines.find((l) => l.startsWith("risk-eval:"));
  const jsonLine = lines.find((l) => l.startsWith("{"));
  if (summary) process.stdout.write(`${summary}\n`);
  let data: Record<string, unknown> = {};
  try {
    data = jsonLine ? (JSON.parse(jsonLine) as Record<string, unknown>) : {};
  } catch {
    // kept empty
  }
  const value = typeof data.evaluations_per_s === "number" ? data.evaluations_per_s : null;
  const v1 = typeof data.v1_evaluations_per_s === "number" ? data.v1_evaluations_per_s : null;
  const v1Summary = lines.find((l) => l.startsWith("risk-eval.v1:"));
  if (v1Summary) process.stdout.write(`${v1Summary}\n`);
  const ok = code === 0 && value !== null;
  if (!ok) process.stdout.write(`risk-eval: FAILED (exit ${code})\n`);
  const result: BenchResult = {
    bench: "risk-eval",
    quick,
    ran_at: new Date(started).toISOString(),
    duration_s: Math.round((Date.now() - started) / 100) / 10,
    ok,
    figures: [
      {
        name: "risk-eval",
        value,
        unit: "evaluations/s",
        details:
          summary?.replace(/^risk-eval: \S+ evaluations\/s ?/, "").replace(/^\(|\)$/g, "") ?? "",
        goal: ">= 8000000 evaluations/s",
        met: value !== null && value >= 8_000_000,
      },
      {
        name: "risk-eval.v1",
        value: v1,
        unit: "evaluations/s",
        details: "version 1 rule mix (the risk-eval mix of the turn-before-last tree)",
        goal: ">= 5400000 evaluations/s",
        met: v1 !== null && v1 >= 5_400_000,
      },
    ],
    data,
  };
  saveResult(result);
  return ok;
}

const startedAll = Date.now();
const machine = machineInfo();
note(
  "run",
  `${selected.join(", ")}${quick ? " (quick)" : ""} on ${machine.nproc} x ${String(machine.cpu_model)}, Node ${String(machine.node)}, wrangler ${String(machine.wrangler)}`,
);
const failed: string[] = [];
for (const name of selected) {
  if (interrupted) break;
  const started = Date.now();
  const { code, stdout } = await run(name);
  const ok = name === "risk-eval" ? recordRiskEval(stdout, started, code) : code === 0;
  if (!ok) failed.push(name);
}
note(
  "run",
  `done in ${((Date.now() - startedAll) / 60_000).toFixed(1)} min; results in bench/results/latest.json${failed.length ? `; FAILED: ${failed.join(", ")}` : ""}`,
);
process.exit(interrupted ? 130 : failed.length ? 1 : 0);
