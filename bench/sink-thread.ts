/**
 * The webhook receiver (dev/webhook-sink.ts) in a worker thread of the benchmark process, for
 * the same reason as the simulator's (sim-thread.ts): PGlite runs synchronously on the main
 * thread and can hold it for tens of ms, which would be counted as delivery latency. The
 * thread notes each arrival's time itself and posts `{hook, at, body, verified}` to the main
 * thread; hooks are configured through the sink's control API over HTTP.
 */
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { startWebhookSink, type Received } from "../dev/webhook-sink.ts";

export interface SinkHandle {
  url: string;
  hookUrl(name: string): string;
  configure(
    name: string,
    cfg: { secret?: string; script?: Array<number | "hang">; then?: number | "hang" },
  ): Promise<void>;
  close(): Promise<void>;
}

/** Starts the sink thread; `onDelivery` gets every delivery, in the main thread. */
export async function startSinkThread(onDelivery: (r: Received) => void): Promise<SinkHandle> {
  const worker = new Worker(new URL(import.meta.url));
  const url = await new Promise<string>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (m: { url: string }) => resolve(m.url));
  });
  worker.on("message", (m: { type?: string; r?: Received }) => {
    if (m.type === "delivery" && m.r) onDelivery(m.r);
  });
  return {
    url,
    hookUrl: (name) => `${url}/hooks/${name}`,
    async configure(name, cfg) {
      const res = await fetch(`${url}/control/hooks/${name}`, {
        method: "PUT",
        body: JSON.stringify(cfg),
      });
      if (!res.ok) throw new Error(`sink configure ${name}: ${res.status}`);
    },
    async close() {
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const sink = await startWebhookSink({
    onDelivery: (r) => port.postMessage({ type: "delivery", r }),
  });
  port.postMessage({ url: sink.url });
}
