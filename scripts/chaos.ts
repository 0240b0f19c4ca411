/**
 * `npm run chaos [-- --minutes 10] [--seconds N] [--seed N] [--accounts N]`: the chaos suite
 * (test/chaos/engine.ts) on the whole local stack; prints the summary table and exits 1 when
 * an invariant is broken. Default: 2 minutes, seed 1.
 */
import { runBench } from "../bench/common.ts";
import { formatReport, runChaos } from "../test/chaos/engine.ts";

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`--${name} needs a positive number\n`);
    process.exit(2);
  }
  return v;
}

const minutes = arg("minutes");
const seconds = arg("seconds") ?? (minutes !== undefined ? minutes * 60 : 120);
const seed = arg("seed") ?? 1;
const accounts = arg("accounts");

// runBench stops the stack on Ctrl-C and keeps the report in bench/results/chaos.json.
await runBench("chaos", async (bench) => {
  const report = await runChaos({
    seconds,
    seed,
    ...(accounts !== undefined ? { accounts } : {}),
    log: (line) => process.stderr.write(`[chaos] ${line}\n`),
  });
  process.stderr.write(`${formatReport(report)}\n`);
  Object.assign(bench.data, report);
  bench.figure(
    "chaos.breaches_recorded",
    report.breaches.recorded,
    "breaches",
    `of ${report.breaches.scripted} scripted`,
  );
  bench.figure(
    "chaos.max_unwatched",
    report.maxUnwatchedS,
    "s",
    "coverage.max_unwatched_s, largest sample",
  );
  if (!report.ok) throw new Error("an invariant was broken (see the table above)");
});
