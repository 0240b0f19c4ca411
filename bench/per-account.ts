/**
 * The design the seed replaced, driven from events.ts: one WebSocket per account, opened by a
 * separate Node process (per-account-client.ts) against the same simulator, flooded one event
 * per frame; counts what the client received and parsed.
 */
import { fork } from "node:child_process";
import type { FloodResult } from "../sim/flood.ts";
import { note, onCleanup, root, sleep } from "./common.ts";
import { BAND_EQUITY, INITIAL_BALANCE } from "./fixtures.ts";
import { waitForSubscriptions, type Stack } from "./stack.ts";

/** Runs the per-account client child with `accounts` sockets; resolves with events/s parsed. */
export async function perAccount(
  stack: Stack,
  n: number,
  alreadySubscribed: number,
  floodMs: number,
  bench: string,
): Promise<Record<string, number>> {
  const accounts = Array.from({ length: n }, (_, i) => ({
    session_id: `pa-${i}-${crypto.randomUUID()}`,
    login: String(70_000_000 + i),
    server: "Bench-per-account",
  }));
  for (let i = 0; i < n; i += 2_000) {
    await stack.control(
      "/accounts",
      accounts
        .slice(i, i + 2_000)
        .map((a) => ({ ...a, balance: INITIAL_BALANCE, equity: BAND_EQUITY, walk: false })),
    );
  }
  const child = fork(`${root}bench/per-account-client.ts`, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    child.send({ type: "close" });
    await Promise.race([new Promise((r) => child.once("exit", r)), sleep(5_000)]);
    if (!exited) child.kill("SIGKILL");
  };
  onCleanup(stop);
  const ask = <T>(msg: unknown, type: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`per-account client: no ${type} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const on = (m: { type: string; message?: string }) => {
        if (m.type === "error") reject(new Error(`per-account client: ${m.message}`));
        if (m.type !== type && m.type !== "error") return;
        clearTimeout(timer);
        child.off("message", on);
        resolve(m as T);
      };
      child.on("message", on);
      child.send(msg as object);
    });
  const ready = await ask<{ sockets: number; ms: number }>(
    { type: "open", url: stack.sim.eventsUrl, accounts },
    "ready",
    300_000,
  );
  note(
    bench,
    `per-account client: ${ready.sockets} sockets open and subscribed in ${(ready.ms / 1000).toFixed(1)} s`,
  );
  await waitForSubscriptions(stack.sim, alreadySubscribed + n, 60_000, 100);
  type Counts = { events: number; frames: number; invalid: number; cpu_s: number; rss: number };
  const c0 = await ask<Counts>({ type: "count" }, "counts", 10_000);
  const s0 = await stack.sim.cpuSeconds();
  const flood = await stack.control<FloodResult>("/flood", {
    events_per_frame: 1,
    duration_ms: floodMs,
    session_ids: accounts.map((a) => a.session_id),
  });
  const c1 = await ask<Counts>({ type: "count" }, "counts", 30_000);
  const simCpu = (await stack.sim.cpuSeconds()) - s0;
  const seconds = flood.duration_ms / 1000;
  await stop();
  return {
    sockets: ready.sockets,
    connect_ms: ready.ms,
    sent: flood.events,
    connections: flood.connections,
    parsed: c1.events - c0.events,
    invalid: c1.invalid - c0.invalid,
    rate: (c1.events - c0.events) / seconds,
    duration_ms: flood.duration_ms,
    client_cpu: (c1.cpu_s - c0.cpu_s) / seconds,
    sim_cpu: simCpu / seconds,
    client_rss: c1.rss,
  };
}
