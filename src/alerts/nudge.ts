/**
 * After a transaction that recorded alerts commits, the writer enqueues their deliveries at
 * once, so a breach reaches its receivers within a second rather than at the next cron. The
 * queue bindings come from `cloudflare:workers` so that writers without an `env` at hand (the
 * live monitor's batch writer) can call it. A failed send is only logged: the cron re-enqueues
 * deliveries left pending (forward.ts, `rescueStale`).
 */
import { env } from "cloudflare:workers";
import { log } from "../log.ts";
import { enqueueDeliveries } from "./forward.ts";
import type { AlertQueueMessage } from "./queue-message.ts";
import type { Recorded } from "./record.ts";

/** Enqueues the deliveries of committed alerts; never throws. */
export async function sendAlerts(recorded: Recorded): Promise<void> {
  if (recorded.deliveries.length === 0) return;
  const e = env as Partial<Env>;
  const fast = e.ALERTS_QUEUE as Queue<AlertQueueMessage> | undefined;
  const slow = e.ALERTS_SLOW_QUEUE as Queue<AlertQueueMessage> | undefined;
  if (!fast || !slow) return;
  try {
    await enqueueDeliveries({ fast, slow }, recorded.deliveries);
  } catch (err) {
    log("alerts:send_failed", { deliveries: recorded.deliveries.length }, err);
  }
}
