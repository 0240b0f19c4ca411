/**
 * Enforcement end to end through the Worker stack (docs/enforcement.md, "Benchmark"): from a
 * breaching event leaving the simulator to the last position closed at the simulator. The
 * live monitor applies the event, its writer commits the violation with the action, the
 * shard's enforcer runs it (claim, `AccountSummary`, `OpenedOrders`, three `OrderCloseSafe`,
 * the state written to Postgres before every command), and the simulator stamps each close.
 *
 * Each account (live, enforcement on, `close_all_and_lock`) holds two positions and a pending
 * order (E18). The close time is the simulator's (`closeTime` in `OrderHistory`, ms), the
 * event's the time this process sent it: one clock (the simulator runs in a thread here).
 *
 * - one account at a time: K breaches, each sent alone, the next once the last is done;
 * - a burst: N accounts breaching in one frame (a batched array), all at once.
 *
 * `--profile`: a CPU profile of the Worker's isolate during the burst (inspector.ts), written to
 * bench/results/enforcement-burst.cpuprofile, its top functions by self time printed.
 *
 *   node bench/enforcement-stack.ts [--quick] [--profile] [singles=30] [burst=1000]
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { sql } from "drizzle-orm";
import { writeFileSync } from "node:fs";
import { fmt, note, percentile, quick, root, runBench, sleep } from "./common.ts";
import { isolateCpuProfile } from "./inspector.ts";
import { BAND_EQUITY, BREACH_EQUITY, INITIAL_BALANCE, createAccounts } from "./fixtures.ts";
import {
  cpuSeconds,
  machineBusySeconds,
  startStack,
  waitForSubscriptions,
  type Stack,
} from "./stack.ts";
import type { BenchAccount } from "./fixtures.ts";

const BENCH = "enforcement-stack";
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const SINGLES = Number(positional[0] ?? (quick ? 10 : 30));
const BURST = Number(positional[1] ?? (quick ? 200 : 1_000));
const GOAL_P99_MS = 500;
const PROFILE = process.argv.includes("--profile");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Prints the top functions of a CPU profile by self time; returns them. */
function topSelf(profile: { nodes: ProfileNode[]; samples: number[] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const s of profile.samples) {
    const f = byId.get(s)!.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").at(-1) ?? ""}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [k, v] of top) process.stdout.write(`${((100 * v) / total).toFixed(1)}% ${k}\n`);
  return top.map(([fn, v]) => ({ fn, pct: Math.round((1000 * v) / total) / 10 }));
}
const ROUND = 500;

const ORDERS = [
  { ticket: 1, symbol: "EURUSD", orderType: "Buy", lots: 1, openPrice: 1.1, profit: -3_000 },
  { ticket: 2, symbol: "GBPUSD", orderType: "Sell", lots: 1, openPrice: 1.3, profit: -2_000 },
  { ticket: 3, symbol: "EURUSD", orderType: "BuyLimit", lots: 1, openPrice: 1.05, profit: 0 },
];

/** Live accounts with enforcement on, their orders in the simulator, subscribed. */
async function enforcedLive(stack: Stack, tag: string, count: number, already: number) {
  const out: BenchAccount[] = [];
  for (let done = 0; done < count; done += ROUND) {
    const n = Math.min(ROUND, count - done);
    await createAccounts(stack, {
      tag,
      count: n,
      monitoring: "live",
      equity: BAND_EQUITY,
      firstLogin: 60_000_000 + already + done,
    });
    // Read back from Postgres (the embedded one over its relay has answered an insert's
    // RETURNING with no rows under load): every account of the tag not handled yet.
    let made: BenchAccount[] = [];
    for (let tries = 0; tries < 20 && made.length !== n; tries++) {
      const r = await stack.db.db.execute<{
        id: number;
        login: string;
        server: string;
        sessionId: string;
      }>(sql`
        select id, login, server, session_id as "sessionId" from accounts
        where server = ${`Bench-${tag}`} and enforcement = 'off' order by id`);
      made = r.rows;
      if (made.length !== n) await sleep(200);
    }
    if (made.length !== n) throw new Error(`${tag}: ${made.length} of ${n} accounts read back`);
    await stack.db.db.execute(sql`
      update accounts set enforcement = 'on',
        rules = rules || '{"consequences": {"default": "close_all_and_lock"}}'::jsonb
      where server = ${`Bench-${tag}`} and enforcement = 'off'`);
    for (const a of made)
      await stack.control(`/orders/${encodeURIComponent(a.sessionId)}`, { opened: ORDERS }, "PUT");
    await stack.worker.fireCron();
    await waitForSubscriptions(stack.sim, already + done + n, 180_000, 20);
    out.push(...made);
  }
  return out;
}

/** ms of each close at the simulator (`closeTime`, UTC without a zone). */
async function closeTimes(stack: Stack, sessionId: string): Promise<Map<number, number>> {
  const url = `${stack.sim.mtapiUrl}/OrderHistory?id=${encodeURIComponent(sessionId)}&from=2000-01-01T00:00:00&to=2100-01-01T00:00:00`;
  const body = (await (await fetch(url)).json()) as
    | { orders?: Array<{ ticket: number; closeTime: string }> }
    | Array<{ ticket: number; closeTime: string }>;
  const list = Array.isArray(body) ? body : (body.orders ?? []);
  return new Map(list.map((o) => [o.ticket, Date.parse(`${o.closeTime}Z`)]));
}

/** Waits until the close-all actions of a tag's `count` accounts are finished; how many are done. */
async function finished(stack: Stack, tag: string, count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await stack.db.db.execute<{ done: number; finished: number }>(sql`
      select count(*) filter (where e.state = 'done')::int as done,
        count(*) filter (where e.state in ('done', 'failed'))::int as finished
      from enforcement_actions e join accounts a on a.id = e.account_id
      where e.kind = 'close_all' and a.server = ${`Bench-${tag}`}`);
    const row = r.rows[0];
    if (row && (row.finished >= count || Date.now() > deadline)) return row.done;
    if (!row && Date.now() > deadline) return 0;
    await sleep(count > 1 ? 100 : 5);
  }
}

/** CPU seconds used so far by every process named `postgres` (the server's backends). */
function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")) !== "postgres") continue;
      const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** CPU used during the burst, seconds: where the time went, process by process. */
function cpuMeter(stack: Stack) {
  const pid = stack.workerdPid();
  const w0 = pid === null ? null : cpuSeconds(pid);
  const n0 = process.cpuUsage();
  const m0 = machineBusySeconds();
  const p0 = postgresCpuSeconds();
  const s0 = stack.sim.cpuSeconds();
  return async () => {
    const w1 = pid === null ? null : cpuSeconds(pid);
    const n1 = process.cpuUsage(n0);
    const sim = (await stack.sim.cpuSeconds()) - (await s0);
    const r = (v: number) => Math.round(v * 100) / 100;
    return {
      workerd: w0 === null || w1 === null ? null : r(w1 - w0),
      // The benchmark's process: the relay, PGlite when it is the engine, the simulator's thread.
      bench_process: r((n1.user + n1.system) / 1e6),
      simulator_thread: r(sim),
      postgres_server: r(postgresCpuSeconds() - p0),
      machine: r(machineBusySeconds() - m0),
    };
  };
}

const breachItem = (a: BenchAccount) => ({
  type: "OrderProfit",
  session_id: a.sessionId,
  data: { balance: INITIAL_BALANCE, equity: BREACH_EQUITY },
});

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH, { vars: { ENFORCEMENT: "on" } });
  report.data.engine = stack.pg.engine;
  const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
  const singles = await enforcedLive(stack, "enf1", SINGLES, 0);
  const burst = await enforcedLive(stack, "enfN", BURST, SINGLES);
  await sleep(1_000);

  // One account at a time.
  const one: number[] = [];
  const oneAll: number[] = [];
  for (const a of singles) {
    const sentAt = Date.now();
    await stack.control("/emit", { frame: breachItem(a), session_id: a.sessionId });
    if ((await finished(stack, "enf1", one.length + 1, 20_000)) !== one.length + 1)
      throw new Error(`account ${a.id}: not done`);
    const t = await closeTimes(stack, a.sessionId);
    one.push(Math.max(t.get(1)!, t.get(2)!) - sentAt);
    oneAll.push(Math.max(...t.values()) - sentAt);
  }
  note(BENCH, `one at a time: ${one.length} accounts closed (load average ${load().join(" ")})`);
  report.data.load_singles = load();

  // A burst: every account breaching in one frame.
  // A locked account stays subscribed (its order events keep it flat): every one is still held.
  await waitForSubscriptions(stack.sim, SINGLES + BURST, 60_000, 20);
  const meter = cpuMeter(stack);
  const sentAt = Date.now();
  let done = 0;
  const runBurst = async () => {
    await stack.control("/emit", { frame: burst.map(breachItem) });
    done = await finished(stack, "enfN", BURST, 300_000);
  };
  if (PROFILE) {
    const profile = (await isolateCpuProfile(stack.inspectorPort, runBurst)) as {
      nodes: ProfileNode[];
      samples: number[];
    } | null;
    if (!profile) throw new Error("the inspector did not answer: no profile");
    writeFileSync(`${root}bench/results/enforcement-burst.cpuprofile`, JSON.stringify(profile));
    report.data.profile_top = topSelf(profile);
  } else await runBurst();
  const flatAfter = Date.now() - sentAt;
  const cpu = await meter();
  report.data.burst_cpu_s = cpu;
  report.data.burst_wall_ms = flatAfter;
  note(BENCH, `burst CPU seconds over ${flatAfter} ms: ${JSON.stringify(cpu)}`);
  const many: number[] = [];
  for (const a of burst) {
    const t = await closeTimes(stack, a.sessionId);
    if (t.has(1) && t.has(2)) many.push(Math.max(t.get(1)!, t.get(2)!) - sentAt);
  }
  const counts = await stack.control<{ sends_to_closed?: number }>(`/close/${burst[0]!.sessionId}`);
  note(
    BENCH,
    `burst: ${done}/${BURST} actions done, ${many.length} accounts with both positions closed; last seen finished ${flatAfter} ms after the frame`,
  );
  report.data.one = one;
  report.data.load_burst = load();
  note(BENCH, `load average after the burst ${load().join(" ")}`);
  report.data.burst_done = done;
  report.data.sends_to_closed_sample = counts.sends_to_closed ?? null;

  report.figure(
    "enforcement.one.p50",
    percentile(one, 0.5),
    "ms",
    `breaching event -> last position closed at the simulator, ${one.length} accounts one at a time`,
  );
  report.figure(
    "enforcement.one.p99",
    percentile(one, 0.99),
    "ms",
    `max ${fmt(Math.max(...one))} ms`,
    {
      op: "<",
      target: GOAL_P99_MS,
    },
  );
  report.figure(
    "enforcement.one.all_p50",
    percentile(oneAll, 0.5),
    "ms",
    "the same to the last order done (the pending order's cancel included)",
  );
  report.figure(
    "enforcement.burst.p50",
    percentile(many, 0.5),
    "ms",
    `${BURST} accounts breaching in one frame: event -> last position closed`,
  );
  report.figure(
    "enforcement.burst.p99",
    percentile(many, 0.99),
    "ms",
    `max ${fmt(Math.max(...many))} ms; ${done}/${BURST} done`,
    { op: "<", target: GOAL_P99_MS },
  );
});
