/**
 * The `queue()` handler of both alert queues: forwards the outbox when asked, then carries
 * out the batch's deliveries. Anything that fails outside a delivery attempt (the database)
 * retries the whole batch through the platform (retry_delay, then the dead-letter queue);
 * receivers de-duplicate on `webhook-id`.
 */
import { openDb } from "../db/client.ts";
import { log } from "../util/log.ts";
import { deliverBatch, type DeliverReport } from "./deliver.ts";
import { forwardPending, rescueStale, type AlertQueues } from "./forward.ts";
import type { AlertQueueMessage } from "./queue-message.ts";
import { loopbackAllowed } from "./url-policy.ts";

/** The alert queue bindings, or null when the Worker has none. */
export function alertQueues(env: Env): AlertQueues | null {
  const fast = (env as Partial<Env>).ALERTS_QUEUE as Queue<AlertQueueMessage> | undefined;
  const slow = (env as Partial<Env>).ALERTS_SLOW_QUEUE as Queue<AlertQueueMessage> | undefined;
  return fast && slow ? { fast, slow } : null;
}

/** Handles one batch of either alert queue; `now` is a fake clock in tests. */
export async function handleAlertBatch(
  batch: MessageBatch<AlertQueueMessage>,
  env: Env,
  now: () => number = Date.now,
): Promise<DeliverReport | null> {
  const queues = alertQueues(env);
  if (!queues) {
    log("alerts:no_queue", { queue: batch.queue });
    batch.ackAll();
    return null;
  }
  const handle = openDb(env);
  try {
    if (batch.messages.some((m) => m.body.kind === "forward"))
      await forwardPending(handle.db, queues, now());
    const ids = batch.messages.flatMap((m) =>
      m.body.kind === "deliver" ? [m.body.delivery_id] : [],
    );
    const report = ids.length
      ? await deliverBatch(handle.db, ids, { queues, allowLoopback: loopbackAllowed(env), now })
      : null;
    batch.ackAll();
    if (report) log("alerts:batch", { queue: batch.queue, ...report });
    return report;
  } catch (err) {
    log("alerts:batch_failed", { queue: batch.queue, messages: batch.messages.length }, err);
    batch.retryAll();
    return null;
  } finally {
    await handle.close();
  }
}

/** The cron's pass: forward messages stored without deliveries, re-enqueue lost deliveries. */
export async function runAlertsPass(env: Env, now: number = Date.now()): Promise<void> {
  const queues = alertQueues(env);
  if (!queues) return;
  const handle = openDb(env, 1);
  try {
    await forwardPending(handle.db, queues, now);
    await rescueStale(handle.db, queues, now);
  } finally {
    await handle.close();
  }
}
