/**
 * The V8 heap of the Worker's isolate in workerd, read through wrangler's inspector
 * (Chrome DevTools protocol): a forced full GC (`HeapProfiler.collectGarbage`), then
 * `Runtime.getHeapUsage` (used and total bytes). The Durable Objects of the Worker run in
 * that isolate, so the difference between two reads is what the objects keep alive.
 * wrangler's inspector proxy (its `--inspector-port`) passes these through; workerd's own
 * inspector refuses a second session to the Worker's isolate. Answers null when the
 * inspector does not answer, so a caller falls back to the resident set.
 */
import WebSocket from "ws";

export interface HeapUsage {
  usedBytes: number;
  totalBytes: number;
}

interface Target {
  webSocketDebuggerUrl?: string;
  title?: string;
}

/** Forces a GC and reads the heap of the first inspectable target; null on any failure. */
export async function isolateHeap(
  inspectorPort: number,
  timeoutMs = 30_000,
): Promise<HeapUsage | null> {
  let targets: Target[];
  try {
    const res = await fetch(`http://127.0.0.1:${inspectorPort}/json`);
    targets = (await res.json()) as Target[];
  } catch {
    return null;
  }
  const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) return null;
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let id = 0;
    const pending = new Map<number, (result: unknown) => void>();
    const done = (v: HeapUsage | null) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    const call = (method: string) =>
      new Promise<unknown>((r) => {
        pending.set(++id, r);
        ws.send(JSON.stringify({ id, method, params: {} }));
      });
    ws.on("message", (data: Buffer) => {
      const m = JSON.parse(data.toString("utf8")) as { id?: number; result?: unknown };
      if (m.id !== undefined) pending.get(m.id)?.(m.result);
    });
    ws.on("error", () => done(null));
    ws.on("open", () => {
      void (async () => {
        await call("Runtime.enable");
        await call("HeapProfiler.enable");
        // workerd runs the collection but never answers it: the next call is answered after it.
        for (let i = 0; i < 2; i++) {
          pending.set(++id, () => {});
          ws.send(JSON.stringify({ id, method: "HeapProfiler.collectGarbage", params: {} }));
        }
        const r = (await call("Runtime.getHeapUsage")) as { usedSize?: number; totalSize?: number };
        done(
          typeof r?.usedSize === "number"
            ? { usedBytes: r.usedSize, totalBytes: r.totalSize ?? 0 }
            : null,
        );
      })();
    });
  });
}

/**
 * A CPU profile of the Worker's isolate (`Profiler.start` ... `Profiler.stop`) taken while
 * `during` runs; null when the inspector does not answer. The result is a `.cpuprofile`
 * (Chrome DevTools, `node --cpu-prof` format).
 */
export async function isolateCpuProfile(
  inspectorPort: number,
  during: () => Promise<void>,
): Promise<unknown> {
  let targets: Target[];
  try {
    const res = await fetch(`http://127.0.0.1:${inspectorPort}/json`);
    targets = (await res.json()) as Target[];
  } catch {
    return null;
  }
  const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) return null;
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((r) => {
      pending.set(++id, r);
      ws.send(JSON.stringify({ id, method, params }));
    });
  ws.on("message", (data: Buffer) => {
    const m = JSON.parse(data.toString("utf8")) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.on("open", () => resolve(true));
    ws.on("error", () => resolve(false));
  });
  if (!opened) return null;
  try {
    await call("Profiler.enable");
    await call("Profiler.setSamplingInterval", { interval: 500 });
    await call("Profiler.start");
    await during();
    const r = (await call("Profiler.stop")) as { profile?: unknown };
    return r?.profile ?? null;
  } finally {
    ws.terminate();
  }
}
