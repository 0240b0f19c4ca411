/**
 * Event throughput and lag of the one live monitor, against two references on the same frames.
 *
 * 1. The monitor: 1,000 then 10,000 live accounts (quick: 1,000), in Postgres as `live` and in
 *    the simulator at equity 95,300 (daily usage 94%, inside the 90-97% band: nobody leaves
 *    live or breaches; the flood repeats each account's figures, so it stays there). The cron
 *    reconciles them onto the monitor; then the simulator floods the monitor's one socket with
 *    `full` events stamped with their send time, 1 per frame, then 20 per frame (a JSON array),
 *    20 s each (quick: 5 s). Events applied per second and lag p50/p99 come from
 *    `GET /v1/monitor` (its `lag` is receive time minus event time over the last 4096 events,
 *    read during the flood and at its end; a monitor saturated by frames answers those reads
 *    only between frames). Also: the lag at half the measured single-event rate (a
 *    `rate`-limited flood, read every 100 ms; goal p99 < 25 ms) and at 80% of it (goal < 50 ms),
 *    the most risk rows one persist tick wrote (`rows_persisted_per_tick.max`), and the CPU used by workerd, the simulator and
 *    PGlite during each flood, to tell which side bounds the figure (flood-monitor.ts).
 * 2. The bare limit: a Node loop that parses the same frames with `parseFrame` and routes them
 *    with a `SubscriptionTable` of N accounts (and, as a step towards the monitor, the same plus
 *    the risk engine).
 * 3. The replaced design: one WebSocket per account from a separate Node process (10,000
 *    sockets; quick: 1,000), each subscribing its own account and parsing with `parseFrame`,
 *    flooded 1 event per frame for the same duration (per-account.ts).
 *
 * Also the workerd resident set before and after subscribing (a rough per-account figure).
 *
 *   node bench/events.ts [--quick]
 */
import { fmt, note, quick, type Report, runBench, sleep } from "./common.ts";
import { BAND_EQUITY, goLive } from "./fixtures.ts";
import { cpuNote, floodMonitor, type FloodRun } from "./flood-monitor.ts";
import {
  buildTable,
  floodFrames,
  parseAndRoute,
  parseRouteApply,
  simAccountsOf,
  subscribeInputs,
  timeLoop,
} from "./monitor-model.ts";
import { perAccount } from "./per-account.ts";
import { rssBytes, startStack } from "./stack.ts";

const BENCH = "events";
const SIZES = quick ? [1_000] : [1_000, 10_000];
const FLOOD_MS = quick ? 5_000 : 20_000;
const HALF_LOAD_MS = quick ? 3_000 : 10_000;
const PER_ACCOUNT_N = quick ? 1_000 : 10_000;
const BARE_MS = quick ? 1_000 : 3_000;
const GOAL_SINGLE = 50_000;
const GOAL_BATCHED = 250_000;
const GOAL_P99_MS = 50;
/** Lag goals below saturation: p99 at half the single rate, and at 80% of it (ms). */
const GOAL_HALF_P99_MS = 25;
const GOAL_80_P99_MS = 50;

function printFlood(report: Report, prefix: string, r: FloodRun, goal: number): void {
  const other = Object.entries(r.counters)
    .filter(([k, v]) => v !== 0 && k !== "received" && k !== "applied" && k !== "acks")
    .map(([k, v]) => `${k} ${v}`);
  report.figure(
    `${prefix}.rate`,
    r.rate,
    "events/s",
    `${r.applied} applied of ${r.sent} sent in ${fmt(r.duration_ms / 1000)} s, ${r.events_per_frame}/frame; backlog after the flood ${r.backlog}${r.reconnects ? `; link dropped ${r.reconnects}x (flood resumed after each resubscribe)` : ""}${other.length ? `; ${other.join(", ")}` : ""}; ${cpuNote(r)}`,
    { op: ">=", target: goal },
  );
  report.figure(
    `${prefix}.lag_p50`,
    r.lag_p50_ms,
    "ms",
    `median of ${r.lag_samples.length} reads of the monitor's window of the last 4096 events`,
  );
  report.figure(
    `${prefix}.lag_p99`,
    r.lag_p99_ms,
    "ms",
    `worst of ${r.lag_samples.length} reads; median read ${fmt(r.lag_p99_median_ms)} ms`,
    {
      op: "<",
      target: GOAL_P99_MS,
    },
  );
}

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH);
  await stack.monitor(); // instantiates the Durable Object
  await sleep(1_000);
  const pid = stack.workerdPid();
  if (pid === null) note(BENCH, "workerd process not found: no RSS or CPU figures");
  const rssIdle = pid === null ? null : rssBytes(pid);
  const rss: Record<string, number | null> = { idle: rssIdle };
  const monitorRuns: Record<
    number,
    { single: FloodRun; batched: FloodRun; half: FloodRun; load80: FloodRun; subscribe_ms: number }
  > = {};
  let held = 0;

  /** Resident set before the last subscription step, and how many accounts that step added. */
  let rssBeforeStep: number | null = rssIdle;
  let lastStep = 0;
  for (const n of SIZES) {
    const prevHeld = held;
    rssBeforeStep = pid === null ? null : rssBytes(pid);
    lastStep = n - held;
    const { subscribeMs } = await goLive(stack, {
      tag: "ev",
      count: n - held,
      already: held,
      equity: BAND_EQUITY,
    });
    const status = await stack.monitor();
    if (status.subscriptions !== n)
      throw new Error(`monitor holds ${status.subscriptions} subscriptions, expected ${n}`);
    note(
      BENCH,
      `${n} subscriptions on the monitor and the simulator (cron to subscribed: ${(subscribeMs / 1000).toFixed(1)} s)`,
    );
    held = n;
    await sleep(2_000);
    rss[`subscribed_${n}`] = pid === null ? null : rssBytes(pid);

    const single = await floodMonitor(stack, pid, n, 1, FLOOD_MS);
    note(BENCH, `n=${n} single: ${fmt(single.rate)} events/s`);
    const batched = await floodMonitor(stack, pid, n, 20, FLOOD_MS);
    note(BENCH, `n=${n} batched: ${fmt(batched.rate)} events/s`);
    const halfRate = Math.max(1_000, Math.round(single.rate / 2));
    const half = await floodMonitor(stack, pid, n, 1, HALF_LOAD_MS, halfRate);
    const rate80 = Math.max(1_000, Math.round(single.rate * 0.8));
    const load80 = await floodMonitor(stack, pid, n, 1, HALF_LOAD_MS, rate80);
    rss[`after_floods_${n}`] = pid === null ? null : rssBytes(pid);
    const after = await stack.monitor();
    if (after.subscriptions !== n)
      note(
        BENCH,
        `warning: ${after.subscriptions} subscriptions left after the floods (expected ${n})`,
      );
    monitorRuns[n] = { single, batched, half, load80, subscribe_ms: subscribeMs };

    const prefix = `events.monitor.n${n}`;
    report.figure(
      `${prefix}.subscribe`,
      subscribeMs / 1000,
      "s",
      `cron to ${n - prevHeld} more subscriptions in the simulator (rounds of 2000)`,
    );
    printFlood(report, `${prefix}.single`, single, GOAL_SINGLE);
    printFlood(report, `${prefix}.batched`, batched, GOAL_BATCHED);
    report.figure(
      `${prefix}.half_load.lag_p99`,
      half.lag_p99_ms,
      "ms",
      `flood limited to ${halfRate} events/s (half the single rate), 1/frame, ${fmt(half.rate)} applied/s; worst of ${half.lag_samples.length} reads 100 ms apart, median read ${fmt(half.lag_p99_median_ms)} ms, p50 ${fmt(half.lag_p50_ms)} ms${half.reconnects ? `; link dropped ${half.reconnects}x` : ""}; ${cpuNote(half)}`,
      { op: "<", target: GOAL_HALF_P99_MS },
    );
    const persisted = (await stack.monitor()).rows_persisted_per_tick;
    report.figure(
      `${prefix}.load80.lag_p99`,
      load80.lag_p99_ms,
      "ms",
      `flood limited to ${rate80} events/s (80% of the single rate), 1/frame, ${fmt(load80.rate)} applied/s; worst of ${load80.lag_samples.length} reads, median read ${fmt(load80.lag_p99_median_ms)} ms${load80.reconnects ? `; link dropped ${load80.reconnects}x` : ""}; ${cpuNote(load80)}`,
      { op: "<", target: GOAL_80_P99_MS },
    );
    report.figure(
      `${prefix}.rows_persisted_per_tick.max`,
      persisted?.max ?? null,
      "rows",
      `most risk rows one persist tick rewrote to the object's storage since it started; last tick ${persisted?.last ?? "n/a"}, backlog ${persisted?.backlog ?? "n/a"}`,
    );
  }
  report.data.monitor = monitorRuns;

  const largest = SIZES[SIZES.length - 1]!;
  if (rssIdle !== null) {
    const subscribed = rss[`subscribed_${largest}`] ?? null;
    report.figure(
      "events.workerd_rss.idle",
      rssIdle / 2 ** 20,
      "MiB",
      "workerd resident set, monitor instantiated, no subscriptions",
    );
    report.figure(
      "events.workerd_rss.subscribed",
      subscribed === null ? null : subscribed / 2 ** 20,
      "MiB",
      `after subscribing ${largest} accounts; after the floods ${fmt((rss[`after_floods_${largest}`] ?? 0) / 2 ** 20)} MiB`,
    );
    // The last step's growth: by then earlier floods have grown the heap, so its growth is
    // closer to what the accounts themselves take (RSS never shrinks back after a flood).
    report.figure(
      "events.workerd_rss.per_account",
      subscribed === null || rssBeforeStep === null
        ? null
        : (subscribed - rssBeforeStep) / lastStep,
      "bytes",
      `resident-set growth while subscribing the last ${lastStep} accounts, per account (${fmt((rssBeforeStep ?? 0) / 2 ** 20)} -> ${fmt(subscribed === null ? null : subscribed / 2 ** 20)} MiB): rough, includes RPC payloads not yet collected, the object's SQLite pages and ${lastStep} log lines`,
    );
  }
  report.data.workerd_rss = rss;

  // The replaced design: one socket per account, in a separate process.
  note(BENCH, `per-account connections: opening ${PER_ACCOUNT_N} sockets`);
  const pa = await perAccount(stack, PER_ACCOUNT_N, held, FLOOD_MS, BENCH);
  report.data.per_account = pa;
  report.figure(
    `events.per_account.n${PER_ACCOUNT_N}.rate`,
    pa.rate!,
    "events/s",
    `${PER_ACCOUNT_N} sockets (one per account) from one Node process, 1/frame, parsed with parseFrame: ${pa.parsed} of ${pa.sent} sent in ${fmt(pa.duration_ms! / 1000)} s; cpu: client ${fmt(pa.client_cpu!)} cores, simulator ${fmt(pa.sim_cpu!)} cores; connect ${fmt(pa.connect_ms! / 1000)} s`,
  );

  // The bare limit on the same frames.
  const bare: Record<number, Record<string, number>> = {};
  for (const n of SIZES) {
    const inputs = subscribeInputs(n);
    const table = buildTable(inputs);
    const accounts = simAccountsOf(inputs);
    const single = floodFrames(accounts, 1, Math.max(20_000, n));
    const batched = floodFrames(accounts, 20, Math.max(2_000, n / 20));
    const now = Date.now();
    const s = timeLoop(single, BARE_MS, BARE_MS / 2, (f, c) => parseAndRoute(table, f, c));
    const b = timeLoop(batched, BARE_MS, BARE_MS / 2, (f, c) => parseAndRoute(table, f, c));
    const se = timeLoop(single, BARE_MS, BARE_MS / 2, (f, c) => parseRouteApply(table, f, c, now));
    const be = timeLoop(batched, BARE_MS, BARE_MS / 2, (f, c) => parseRouteApply(table, f, c, now));
    if (s.counts.routed !== s.counts.events || be.counts.applied !== be.counts.events)
      throw new Error("bare loop: events not routed or not applied");
    bare[n] = { single: s.rate, batched: b.rate, single_engine: se.rate, batched_engine: be.rate };
    const prefix = `events.bare.n${n}`;
    report.figure(
      `${prefix}.single.rate`,
      s.rate,
      "events/s",
      `Node loop, parseFrame + SubscriptionTable.route, 1/frame, one core, best of 3 runs`,
    );
    report.figure(`${prefix}.batched.rate`, b.rate, "events/s", `same, 20/frame`);
    report.figure(
      `${prefix}.single_engine.rate`,
      se.rate,
      "events/s",
      `parse + route + risk engine (applyReading), 1/frame`,
    );
    report.figure(
      `${prefix}.batched_engine.rate`,
      be.rate,
      "events/s",
      `parse + route + risk engine, 20/frame`,
    );
    const m = monitorRuns[n]!;
    report.figure(
      `events.ratio.n${n}.single.monitor_vs_bare`,
      m.single.rate / s.rate,
      "x",
      `monitor ${fmt(m.single.rate)} / bare ${fmt(s.rate)} events/s`,
    );
    report.figure(
      `events.ratio.n${n}.batched.monitor_vs_bare`,
      m.batched.rate / b.rate,
      "x",
      `monitor ${fmt(m.batched.rate)} / bare ${fmt(b.rate)} events/s`,
    );
  }
  report.data.bare = bare;
  const m = monitorRuns[PER_ACCOUNT_N] ?? monitorRuns[largest]!;
  report.figure(
    "events.ratio.single.monitor_vs_per_account",
    m.single.rate / pa.rate!,
    "x",
    `monitor (${monitorRuns[PER_ACCOUNT_N] ? PER_ACCOUNT_N : largest} accounts, one socket) ${fmt(m.single.rate)} / per-account sockets (${PER_ACCOUNT_N}) ${fmt(pa.rate!)} events/s`,
  );
  report.data.sizes = SIZES;
  report.data.flood_ms = FLOOD_MS;
});
