/**
 * Messages on the alert queues. `drawdown-sentinel-alerts` carries first attempts
 * to healthy endpoints; `drawdown-sentinel-alerts-slow` carries retries and deliveries to
 * endpoints that are failing, so that their timeouts (up to 10 s each) never hold up a
 * healthy endpoint's deliveries (a consumer handles one batch of a queue at a time).
 */

/** Forward the outbox: create deliveries for messages stored without them, and enqueue them. */
export interface ForwardMessage {
  kind: "forward";
}

/** Attempt one delivery (one message to one endpoint). */
export interface DeliverMessage {
  kind: "deliver";
  delivery_id: number;
}

export type AlertQueueMessage = ForwardMessage | DeliverMessage;

/** Queue names, as `batch.queue` reports them. */
export const ALERTS_QUEUE = "drawdown-sentinel-alerts";
export const ALERTS_SLOW_QUEUE = "drawdown-sentinel-alerts-slow";

/** True for a batch of either alert queue. */
export function isAlertQueue(name: string): boolean {
  return name === ALERTS_QUEUE || name === ALERTS_SLOW_QUEUE;
}
