/**
 * Throughput of the risk engine's per-event path on its two mixes (risk-mix.ts): each reading
 * applied in place to the state the previous one left, over 1,000 accounts in a tight loop,
 * as the live monitor does.
 *
 *   node bench/risk-eval.ts [evaluations] [--mix=v1|v2]
 *
 * Without `--mix` both mixes run, each in a process of its own (so that one mix's type
 * feedback does not slow the other's), v2 first. Prints one summary line per mix, then one
 * JSON line. Goals: >= 8,000,000 evaluations/s on the v2 mix and >= 5,400,000 on the v1 mix,
 * on one core. Evaluations per CPU second of the process are printed too: on a shared
 * machine the wall clock counts the neighbours' time as well.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as R from "../src/risk/index.ts";
import { runMix, type Mix, type MixResult, type RiskModule } from "./risk-mix.ts";

const DEFAULT_EVALUATIONS = 10_000_000;
const GOALS: Record<Mix, number> = { v2: 8_000_000, v1: 5_400_000 };

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const mixArg = process.argv.find((a) => a.startsWith("--mix="))?.slice("--mix=".length);
const evaluations = Number(positional[0] ?? DEFAULT_EVALUATIONS);
if (!Number.isInteger(evaluations) || evaluations <= 0) {
  throw new Error(`evaluations must be a positive integer, got ${positional[0]}`);
}
if (mixArg !== undefined && mixArg !== "v1" && mixArg !== "v2") {
  throw new Error(`--mix must be v1 or v2, got ${mixArg}`);
}

function summary(r: MixResult): string {
  const name = r.mix === "v2" ? "risk-eval" : "risk-eval.v1";
  return `${name}: ${r.evaluations_per_s} evaluations/s (${r.mix} mix, ${r.form}, n=${r.n}, ms=${r.ms}; ${r.evaluations_per_cpu_s} per CPU second; goal >= ${GOALS[r.mix]})`;
}

if (mixArg !== undefined) {
  // One mix in this process: its JSON only (the parent prints the summary).
  console.log(JSON.stringify(runMix(R as unknown as RiskModule, mixArg, evaluations)));
} else {
  const self = fileURLToPath(import.meta.url);
  const results: Partial<Record<Mix, MixResult>> = {};
  for (const mix of ["v2", "v1"] as const) {
    const out = execFileSync(process.execPath, [self, String(evaluations), `--mix=${mix}`], {
      encoding: "utf8",
    });
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as MixResult;
    results[mix] = r;
    console.log(summary(r));
  }
  const v2 = results.v2!;
  const v1 = results.v1!;
  console.log(
    JSON.stringify({
      bench: "risk-eval",
      evaluations_per_s: v2.evaluations_per_s,
      evaluations_per_cpu_s: v2.evaluations_per_cpu_s,
      v1_evaluations_per_s: v1.evaluations_per_s,
      v1_evaluations_per_cpu_s: v1.evaluations_per_cpu_s,
      n: evaluations,
      accounts: 1_000,
      v2,
      v1,
      node: process.version,
    }),
  );
}
