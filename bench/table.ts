/**
 * Prints the figures of bench/results/latest.json as a Markdown table (for BENCHMARKS.md).
 *
 *   node bench/table.ts
 */
import { readFileSync } from "node:fs";
import { type BenchResult, fmt, resultsDir } from "./common.ts";

const latest = JSON.parse(readFileSync(`${resultsDir}/latest.json`, "utf8")) as {
  benchmarks: Record<string, BenchResult>;
};
const order = ["risk-eval", "sweep", "events", "resubscribe", "breach", "memory"];
const names = Object.keys(latest.benchmarks).sort((a, b) => order.indexOf(a) - order.indexOf(b));

console.log("| figure | value | goal | run |");
console.log("| --- | ---: | --- | --- |");
for (const name of names) {
  const r = latest.benchmarks[name]!;
  const run = `${r.ran_at.slice(0, 16).replace("T", " ")}${r.quick ? " (quick)" : ""}`;
  for (const f of r.figures) {
    const goal = f.goal ? `${f.goal}: ${f.met ? "met" : "**missed**"}` : "";
    console.log(`| \`${f.name}\` | ${fmt(f.value)} ${f.unit} | ${goal} | ${run} |`);
  }
  if (!r.ok) console.log(`| \`${name}\` | FAILED | | ${run} |`);
}
