/**
 * After a transaction that recorded alerts commits, the writer enqueues their deliveries at
 * once, so a breach reaches its receivers within a second rather than at the next cron. The
 * queue bindings come from `cloudflare:workers`, so that writers without an `env` at hand (the
 * live monitor's batch writer) can call it; that module is imported on first use, not at load,
 * because the writers are also loaded by Node unit tests (test/unit/live/writer.test.ts) where
 * it does not exist. A failed send is only logged: the cron re-enqueues deliveries left
 * pending (forward.ts, `rescueStale`).
 */
import { log } from "../util/log.ts";
import { enqueueDeliveries, type AlertQueues, type QueueLike } from "./forward.ts";
import type { Recorded } from "./record.ts";

/** A variable, so that neither bundlers nor the Node type check resolve it statically. */
const WORKERS_MODULE = "cloudflare:workers";

/** The alert queues of the running Worker, or null outside one. */
async function boundQueues(): Promise<AlertQueues | null> {
  try {
    const mod = (await import(/* @vite-ignore */ WORKERS_MODULE)) as {
      env?: Record<string, unknown>;
    };
    const fast = mod.env?.ALERTS_QUEUE as QueueLike | undefined;
    const slow = mod.env?.ALERTS_SLOW_QUEUE as QueueLike | undefined;
    return fast && slow ? { fast, slow } : null;
  } catch {
    return null;
  }
}

/** Enqueues the deliveries of committed alerts; never throws. */
export async function sendAlerts(recorded: Recorded): Promise<void> {
  if (recorded.deliveries.length === 0) return;
  try {
    const queues = await boundQueues();
    if (queues) await enqueueDeliveries(queues, recorded.deliveries);
  } catch (err) {
    log("alerts:send_failed", { deliveries: recorded.deliveries.length }, err);
  }
}
