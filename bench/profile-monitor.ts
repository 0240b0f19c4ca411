/**
 * Where the live monitor's time goes under a flood: a CPU profile of the Worker's isolate
 * (inspector.ts) during a flood of 10,000 live accounts, 20 events per frame (`--single`: 1
 * per frame), written to bench/results/monitor-<mode>.cpuprofile (open it in Chrome DevTools),
 * with the functions that took the most samples printed.
 *
 *   node bench/profile-monitor.ts [--single] [--seconds=10]
 */
import { writeFileSync } from "node:fs";
import { note, root, runBench, sleep } from "./common.ts";
import { BAND_EQUITY, goLive } from "./fixtures.ts";
import { floodMonitor } from "./flood-monitor.ts";
import { isolateCpuProfile } from "./inspector.ts";
import { startStack } from "./stack.ts";

const ACCOUNTS = 10_000;
const single = process.argv.includes("--single");
const seconds = Number(
  process.argv.find((a) => a.startsWith("--seconds="))?.slice("--seconds=".length) ?? 10,
);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

await runBench("profile-monitor", async (report) => {
  const stack = await startStack("profile-monitor");
  await stack.monitor();
  const pid = stack.workerdPid();
  await goLive(stack, { tag: "prof", count: ACCOUNTS, already: 0, equity: BAND_EQUITY });
  await sleep(2_000);
  let rate = 0;
  const profile = (await isolateCpuProfile(stack.inspectorPort, async () => {
    rate = (await floodMonitor(stack, pid, ACCOUNTS, single ? 1 : 20, seconds * 1000)).rate;
  })) as { nodes: ProfileNode[]; samples: number[] } | null;
  if (!profile) throw new Error("the inspector did not answer: no profile");
  const file = `${root}bench/results/monitor-${single ? "single" : "batched"}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const s of profile.samples) {
    const f = byId.get(s)!.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").at(-1) ?? ""}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
  for (const [k, v] of top) process.stdout.write(`${((100 * v) / total).toFixed(1)}% ${k}\n`);
  note("profile-monitor", `${Math.round(rate)} events/s during the profile; ${file}`);
  report.data.top = top.map(([k, v]) => ({ fn: k, pct: (100 * v) / total }));
});
