/**
 * After a transaction that recorded alerts commits, one queue message asks the alerts
 * consumer to forward them now, so a breach reaches its receivers within a second instead of
 * at the next cron. It reads the queue binding from `cloudflare:workers` so that writers
 * without an `env` at hand (the live monitor's batch writer) can call it. A failed nudge is
 * only logged: the cron forwards whatever is left.
 */
import { env } from "cloudflare:workers";
import { log } from "../log.ts";
import type { AlertQueueMessage } from "./queue-message.ts";

/** Asks the alerts consumer to forward pending messages; never throws. */
export async function nudgeAlerts(): Promise<void> {
  const queue = (env as Partial<Env>).ALERTS_QUEUE as Queue<AlertQueueMessage> | undefined;
  if (!queue) return;
  try {
    await queue.send({ kind: "forward" });
  } catch (err) {
    log("alerts:nudge_failed", {}, err);
  }
}
