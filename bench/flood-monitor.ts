/**
 * One flood of the live monitor's socket, measured: events applied per second from
 * `GET /v1/monitor` before and after, the monitor's lag window read during the flood, and the
 * CPU of workerd, of the simulator's thread, of this process and of the whole machine.
 */
import { cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { FloodResult } from "../sim/flood.ts";
import { fmt, median, sleep } from "./common.ts";
import {
  cpuSeconds,
  machineBusySeconds,
  waitForSubscriptions,
  type MonitorStatus,
  type Stack,
} from "./stack.ts";

export interface FloodRun {
  events_per_frame: number;
  rate_limit: number | null;
  sent: number;
  frames: number;
  /** Flood time summed over segments (ms). */
  duration_ms: number;
  applied: number;
  received: number;
  /** Events applied per second of flood. */
  rate: number;
  /** Events received after the last segment ended (backlog in buffers), and how long they took. */
  backlog: number;
  drain_ms: number;
  /** The link to the simulator dropped this many times during the flood (each drop ends a segment). */
  reconnects: number;
  segments: number;
  lag_samples: Array<MonitorStatus["lag"]>;
  lag_p50_ms: number | null;
  lag_p99_ms: number | null;
  /** The median window's p99 (the worst window's is `lag_p99_ms`). */
  lag_p99_median_ms: number | null;
  /** Cores used during the flood (1 = one core busy all the time). */
  workerd_cpu: number | null;
  node_cpu: number;
  /** Of `node_cpu`, the simulator's thread. */
  sim_cpu: number;
  /** Cores busy machine-wide (everything, other users' processes too). */
  machine_cpu: number;
  /** Event-loop delay of the main thread (PGlite, the benchmark) during the flood, ms. */
  node_loop_delay_max_ms: number;
  node_loop_delay_p99_ms: number;
  counters: Record<string, number>;
}

function delta(a: MonitorStatus, b: MonitorStatus): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.events))
    out[k] = v - (a.events[k as keyof MonitorStatus["events"]] ?? 0);
  return out;
}

/**
 * Floods the monitor's socket for `ms` of flood time. The simulator ends a flood early when the
 * connection closes; the monitor then reconnects and resubscribes, and the flood goes on in a
 * new segment once every subscription is back. Rates are over flood time only.
 */
export async function floodMonitor(
  stack: Stack,
  pid: number | null,
  n: number,
  perFrame: number,
  ms: number,
  rate?: number,
): Promise<FloodRun> {
  const first = await stack.monitor();
  const lagSamples: Array<MonitorStatus["lag"]> = [];
  let sampling = true;
  const sampler = (async () => {
    for (;;) {
      // At a sustainable rate the window (4096 events) spans ~0.1 s: read it often. A saturated
      // monitor answers reads only between frames, so fewer reads there.
      await sleep(rate ? 100 : 1_000);
      if (!sampling) return;
      lagSamples.push((await stack.monitor()).lag);
    }
  })();
  let floodMs = 0;
  let sent = 0;
  let frames = 0;
  let applied = 0;
  let received = 0;
  let workerdCpu: number | null = 0;
  let nodeCpu = 0;
  let machineCpu = 0;
  let simCpu = 0;
  let segments = 0;
  let last = first;
  // Stalls of the main thread (PGlite, the benchmark); the simulator runs in its own thread.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  while (ms - floodMs > 250 && segments < 20) {
    await waitForSubscriptions(stack.sim, n, 60_000, 10);
    const before = await stack.monitor();
    const w0 = pid === null ? null : cpuSeconds(pid);
    const n0 = process.cpuUsage();
    const m0 = machineBusySeconds();
    const s0 = await stack.sim.cpuSeconds();
    const flood = await stack.control<FloodResult>("/flood", {
      events_per_frame: perFrame,
      duration_ms: ms - floodMs,
      ...(rate ? { rate } : {}),
    });
    last = await stack.monitor();
    const w1 = pid === null ? null : cpuSeconds(pid);
    const n1 = process.cpuUsage(n0);
    machineCpu += machineBusySeconds() - m0;
    simCpu += (await stack.sim.cpuSeconds()) - s0;
    segments++;
    floodMs += flood.duration_ms;
    sent += flood.events;
    frames += flood.frames;
    applied += last.events.applied - before.events.applied;
    received += last.events.received - before.events.received;
    workerdCpu = w0 === null || w1 === null || workerdCpu === null ? null : workerdCpu + (w1 - w0);
    nodeCpu += (n1.user + n1.system) / 1e6;
    if (flood.connections === 0) await sleep(50);
  }
  sampling = false;
  loopDelay.disable();
  await sampler;
  lagSamples.push(last.lag);
  // Whatever was still in socket buffers when the flood stopped.
  const drainStart = performance.now();
  let drained = last;
  while (
    drained.events.received - first.events.received < sent &&
    performance.now() - drainStart < 5_000
  ) {
    await sleep(100);
    drained = await stack.monitor();
  }
  const p50s = lagSamples.map((l) => l.p50_ms).filter((v): v is number => v !== null);
  const p99s = lagSamples.map((l) => l.p99_ms).filter((v): v is number => v !== null);
  const seconds = floodMs / 1000;
  return {
    events_per_frame: perFrame,
    rate_limit: rate ?? null,
    sent,
    frames,
    duration_ms: floodMs,
    applied,
    received,
    rate: applied / seconds,
    backlog: drained.events.received - last.events.received,
    drain_ms: Math.round(performance.now() - drainStart),
    reconnects: drained.connection.reconnects - first.connection.reconnects,
    segments,
    lag_samples: lagSamples,
    lag_p50_ms: median(p50s),
    lag_p99_ms: p99s.length ? Math.max(...p99s) : null,
    lag_p99_median_ms: median(p99s),
    workerd_cpu: workerdCpu === null ? null : workerdCpu / seconds,
    node_cpu: nodeCpu / seconds,
    sim_cpu: simCpu / seconds,
    machine_cpu: machineCpu / seconds,
    node_loop_delay_max_ms: loopDelay.max / 1e6,
    node_loop_delay_p99_ms: loopDelay.percentile(99) / 1e6,
    counters: delta(first, drained),
  };
}

/** The CPU figures of a flood, for a figure's details. */
export function cpuNote(r: FloodRun): string {
  const workerd = r.workerd_cpu === null ? "n/a" : fmt(r.workerd_cpu);
  return `cpu (cores): workerd ${workerd}, simulator ${fmt(r.sim_cpu)}, Postgres+bench ${fmt(r.node_cpu - r.sim_cpu)}, whole machine ${fmt(r.machine_cpu)} of ${cpus().length}; main-thread stalls up to ${fmt(r.node_loop_delay_max_ms)} ms`;
}
