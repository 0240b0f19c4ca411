/**
 * The simulator in a worker thread of the benchmark process: `startSimulator` on a free port,
 * with an event loop of its own, so that PGlite (which runs synchronously on the main thread
 * and can hold it for tens of ms while the monitor writes a batch) never stalls what the
 * simulator sends or answers.
 *
 * The main thread talks to it over HTTP (the control API, as anyone would) and, for waiting
 * on subscriptions without fetching the whole list, over a small shared counter that the
 * simulator's thread refreshes every 10 ms while someone is waiting.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { SimState } from "../sim/state.ts";

/** Int32 slots of the shared counter. */
const WATCH = 0;
const COUNT = 1;

export interface SimHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  mtapiUrl: string;
  eventsUrl: string;
  /** Distinct subscribed sessions, counted in the simulator's thread (-1 until counted). */
  subscriptions(): number;
  /** Starts (true) or stops (false) the counting. */
  watch(on: boolean): void;
  /** `GET /control/state`. */
  state(): Promise<SimState>;
  /** CPU time of the simulator's thread so far, seconds. */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

interface Ready {
  type: "ready";
  url: string;
  mtapiUrl: string;
  eventsUrl: string;
}

/** Starts the simulator thread; resolves once it listens. */
export async function startSimThread(opts: { seed: number; verbose: boolean }): Promise<SimHandle> {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  shared[COUNT] = -1;
  const worker = new Worker(new URL(import.meta.url), { workerData: { shared, ...opts } });
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (m: Ready) => resolve(m));
  });
  let closed = false;
  const request = <T>(type: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: { type: string; value: T }) => {
        if (m.type !== type) return;
        worker.off("message", on);
        resolve(m.value);
      };
      worker.on("message", on);
      worker.postMessage({ type });
    });
  return {
    url: ready.url,
    mtapiUrl: ready.mtapiUrl,
    eventsUrl: ready.eventsUrl,
    subscriptions: () => Atomics.load(shared, COUNT),
    watch: (on) => {
      if (on) Atomics.store(shared, COUNT, -1);
      Atomics.store(shared, WATCH, on ? 1 : 0);
    },
    state: async () => (await (await fetch(`${ready.url}/control/state`)).json()) as SimState,
    cpuSeconds: () => request<number>("cpu"),
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.race([request("close"), new Promise((r) => setTimeout(r, 5_000))]);
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { shared, seed, verbose } = workerData as {
    shared: Int32Array;
    seed: number;
    verbose: boolean;
  };
  const { startSimulator } = await import("../sim/simulator.ts");
  const sim = await startSimulator({
    port: 0,
    seed,
    ...(verbose ? { log: (l: string) => process.stderr.write(`[sim] ${l}\n`) } : {}),
  });
  const counter = setInterval(() => {
    if (Atomics.load(shared, WATCH) === 1) Atomics.store(shared, COUNT, sim.subscriptionCount());
  }, 10);
  port.on("message", (m: { type: string }) => {
    if (m.type === "cpu") {
      const u = process.threadCpuUsage();
      port.postMessage({ type: "cpu", value: (u.user + u.system) / 1e6 });
    } else if (m.type === "close") {
      clearInterval(counter);
      void sim.close().then(() => port.postMessage({ type: "close", value: null }));
    }
  });
  port.postMessage({
    type: "ready",
    url: sim.url,
    mtapiUrl: sim.mtapiUrl,
    eventsUrl: sim.eventsUrl,
  } satisfies Ready);
}
