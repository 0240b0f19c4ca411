/**
 * What every benchmark script shares: the quick/verbose switches, one printed line per
 * figure (`name: value unit (details)`) on stdout, progress on stderr, the JSON results in
 * `bench/results/` (`<name>.json`, merged into `latest.json`), and cleanup that runs however
 * the script ends (normal end, error, SIGINT/SIGTERM from `bench/run.ts`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const resultsDir = `${root}bench/results`;

/** `--quick` or `BENCH_QUICK=1`: the ~2-minute smoke variant (smaller N, shorter floods). */
export const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
/** `BENCH_VERBOSE=1`: wrangler's output and the simulator's log lines are shown. */
export const verbose = process.env.BENCH_VERBOSE === "1";

/** One printed figure. */
export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  details?: string;
  /** The goal, as text (`>= 50000 events/s`), when there is one. */
  goal?: string;
  /** Whether the figure meets its goal (absent without a goal). */
  met?: boolean;
}

/** What a benchmark script leaves in `bench/results/<name>.json`. */
export interface BenchResult {
  bench: string;
  quick: boolean;
  ran_at: string;
  duration_s: number;
  ok: boolean;
  error?: string;
  figures: Figure[];
  /** Raw measurements behind the figures. */
  data: Record<string, unknown>;
}

/** Formats a number for a figure line: integers with no decimals, others with up to 3 significant decimals. */
export function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "n/a";
  if (Number.isInteger(v) || Math.abs(v) >= 1000) return String(Math.round(v));
  if (Math.abs(v) >= 100) return v.toFixed(1);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Progress for humans, on stderr so stdout holds only figure lines. */
export function note(bench: string, line: string): void {
  process.stderr.write(`[${bench}] ${line}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Percentile (0..1) of a sample, nearest rank; null when empty. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number | null {
  return percentile(values, 0.5);
}

/** Collects figures and raw data of one benchmark and prints each figure as it comes. */
export class Report {
  readonly figures: Figure[] = [];
  readonly data: Record<string, unknown> = {};

  readonly bench: string;

  constructor(bench: string) {
    this.bench = bench;
  }

  /**
   * Prints and keeps one figure. `goal` compares `value` with `op` and `target` and is printed
   * in the details (`goal >= 50000: met`).
   */
  figure(
    name: string,
    value: number | null,
    unit: string,
    details = "",
    goal?: { op: "<" | "<=" | ">=" | ">"; target: number },
  ): Figure {
    const f: Figure = { name, value, unit };
    const parts = details ? [details] : [];
    if (goal) {
      const met =
        value !== null &&
        Number.isFinite(value) &&
        (goal.op === "<"
          ? value < goal.target
          : goal.op === "<="
            ? value <= goal.target
            : goal.op === ">="
              ? value >= goal.target
              : value > goal.target);
      f.goal = `${goal.op} ${goal.target} ${unit}`;
      f.met = met;
      parts.push(`goal ${goal.op} ${fmt(goal.target)}: ${met ? "met" : "MISSED"}`);
    }
    if (parts.length) f.details = parts.join("; ");
    this.figures.push(f);
    process.stdout.write(`${name}: ${fmt(value)} ${unit}${f.details ? ` (${f.details})` : ""}\n`);
    return f;
  }
}

const cleanups: Array<() => Promise<void>> = [];

/** Registers a cleanup; they run last-in first-out when the script ends, however it ends. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    await fn().catch((err: unknown) => process.stderr.write(`cleanup failed: ${String(err)}\n`));
  }
}

let signalled = false;

/** On SIGINT/SIGTERM: run the cleanups, then exit. */
function stopOnSignals(): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (signalled) return;
      signalled = true;
      process.stderr.write(`received ${sig}, stopping everything started\n`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

/** The machine, as BENCHMARKS.md reports it. */
export function machineInfo(): Record<string, unknown> {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux
  }
  const versionOf = (pkg: string): string | null => {
    try {
      return (
        JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, "utf8")) as {
          version: string;
        }
      ).version;
    } catch {
      return null;
    }
  };
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    // keep os.cpus()
  }
  return {
    nproc,
    cpu_model: cpuModel,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    wrangler: versionOf("wrangler"),
    workerd: versionOf("workerd"),
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Writes `<bench>.json` and merges it into `latest.json` (one entry per benchmark, newest wins). */
export function saveResult(result: BenchResult): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}/${result.bench}.json`, JSON.stringify(result, null, 2) + "\n");
  const latestFile = `${resultsDir}/latest.json`;
  let latest: { updated_at?: string; machine?: unknown; benchmarks: Record<string, BenchResult> } =
    { benchmarks: {} };
  if (existsSync(latestFile)) {
    try {
      latest = JSON.parse(readFileSync(latestFile, "utf8")) as typeof latest;
      latest.benchmarks ??= {};
    } catch {
      latest = { benchmarks: {} };
    }
  }
  latest.updated_at = new Date().toISOString();
  latest.machine = machineInfo();
  latest.benchmarks[result.bench] = result;
  writeFileSync(latestFile, JSON.stringify(latest, null, 2) + "\n");
}

/**
 * Runs one benchmark script: `fn` prints figures through the report; the result is saved,
 * cleanups run, and the exit code says whether it worked (1 on error).
 */
export async function runBench(
  bench: string,
  fn: (report: Report) => Promise<void>,
): Promise<void> {
  stopOnSignals();
  const report = new Report(bench);
  const started = Date.now();
  let error: string | undefined;
  note(bench, `start${quick ? " (quick)" : ""}`);
  try {
    await fn(report);
  } catch (err) {
    error =
      err instanceof Error
        ? `${err.stack ?? err.message}${err.cause ? `\ncause: ${String(err.cause)}` : ""}`
        : String(err);
    process.stdout.write(
      `${bench}: FAILED (${err instanceof Error ? err.message : String(err)})\n`,
    );
    process.stderr.write(`${error}\n`);
  } finally {
    await runCleanups();
  }
  const result: BenchResult = {
    bench,
    quick,
    ran_at: new Date(started).toISOString(),
    duration_s: Math.round((Date.now() - started) / 100) / 10,
    ok: error === undefined,
    figures: report.figures,
    data: report.data,
  };
  if (error !== undefined) result.error = error;
  saveResult(result);
  note(bench, `done in ${result.duration_s} s`);
  process.exit(error === undefined ? 0 : 1);
}
