/**
 * Reaching named live-monitor shards from a benchmark, whatever the Worker's own routing of
 * accounts to shards is: a wrapper Worker entry (written beside the benchmark's copy of
 * `src/`, stack.ts `entrySource`) that serves the Worker as it is and adds
 * `/v1/bench/shards/<i>/{subscribe,unsubscribe,status,ensure}`, calling the RPC methods of the
 * Durable Object named `shardName(i)` (src/live/core/shard.ts), behind the admin token. The
 * benchmark places each account on `shardOf(id, shards)` itself, as the Worker would.
 */
import type { SubscribeInput } from "../src/live/core/subscriptions.ts";
import type { MonitorStatus, Stack } from "./stack.ts";

/** The wrapper entry, JavaScript (wrangler bundles it with the copy of `src/`). */
export const SHARD_ENTRY = `
import worker, { LiveMonitor } from "./src/index.ts";
import { shardName } from "./src/live/core/shard.ts";
export { LiveMonitor };
const ROUTE = /^\\/v1\\/bench\\/shards\\/(\\d+)\\/(subscribe|unsubscribe|status|ensure)$/;
export default {
  ...worker,
  async fetch(request, env, ctx) {
    const m = ROUTE.exec(new URL(request.url).pathname);
    if (!m) return worker.fetch(request, env, ctx);
    if (request.headers.get("authorization") !== "Bearer " + env.ADMIN_TOKEN)
      return new Response("unauthorized", { status: 401 });
    const stub = env.LIVE_MONITOR.getByName(shardName(Number(m[1])));
    const body = request.method === "POST" ? await request.json() : undefined;
    let result;
    if (m[2] === "subscribe") result = await stub.subscribe(body);
    else if (m[2] === "unsubscribe") result = await stub.unsubscribe(body, "bench");
    else if (m[2] === "ensure") result = await stub.ensureRunning();
    else result = await stub.status();
    return Response.json(result);
  },
};
`;

/** A shard's status as the benchmark reads it (the monitor's `status()`). */
export type ShardStatus = MonitorStatus;

/** Calls one shard through the wrapper. */
export function shardClient(stack: Stack, i: number) {
  const path = `/v1/bench/shards/${i}`;
  return {
    subscribe: (inputs: SubscribeInput[]) =>
      stack.admin<{ added: number; subscriptions: number }>(`${path}/subscribe`, {
        body: inputs,
      }),
    status: () => stack.admin<ShardStatus>(`${path}/status`),
    ensure: () => stack.admin<ShardStatus>(`${path}/ensure`, { method: "POST", body: {} }),
  };
}
