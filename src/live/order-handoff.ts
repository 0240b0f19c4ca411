/**
 * Order events handed from the live monitor to the trades side (docs/trades.md, "When rules
 * are judged"): each `OrderUpdate`'s order data goes to the poll Queue as a `trade_event`
 * message, batched per frame burst, so the equity path never waits on trades. The consumer
 * (src/poll/queue.ts) stores the orders and judges the account's trade rules.
 */
import { log } from "../util/log.ts";
import type { OrderPayload } from "./core/parse-frame.ts";

/** A poll Queue message: one account's order event, as received. */
export interface TradeEventMessage {
  trade_event: true;
  account_id: number;
  /** Epoch ms the event was received. */
  received_at: number;
  update?: unknown;
  opened_orders?: unknown;
  /**
   * The account's server clock offset the monitor learnt (minutes east of UTC), when it has
   * learnt one: stored and used before the configured one (docs/trades.md, "Broker time").
   */
  learnt_offset_min?: number;
}

/** True for a `trade_event` message. */
export function isTradeEvent(body: unknown): body is TradeEventMessage {
  return (body as Partial<TradeEventMessage> | null)?.trade_event === true;
}

/**
 * Queue messages are limited to 128 KB: an open list longer than this (at ~300 characters an
 * order) is left out, and the account's next REST read brings it.
 */
export const MAX_OPEN_ORDERS = 300;
/** Messages per `sendBatch` (the platform's limit). */
const PER_SEND = 100;

/** What the handoff needs of a Queue binding (kept platform-free for the Node tests). */
export interface TradeEventSender {
  sendBatch(messages: ReadonlyArray<{ body: TradeEventMessage }>): Promise<unknown>;
}

export class OrderHandoff {
  private readonly queue: TradeEventSender | undefined;
  private pending: Array<{ body: TradeEventMessage }> = [];
  /** A send is scheduled for the end of the current frame (one microtask, not one per event). */
  private scheduled = false;
  private readonly sendPending = (): void => void this.flush();
  /** Handed over, dropped (no queue, or a failed send), and open lists left out for size. */
  readonly counts = { handed: 0, dropped: 0, trimmed: 0 };

  constructor(queue: TradeEventSender | undefined) {
    this.queue = queue;
  }

  /** Queues one event's orders; the send happens after the current frame (one batch). */
  add(accountId: number, orders: OrderPayload, now: number, learntOffsetMs = 0): void {
    if (!this.queue) {
      this.counts.dropped++;
      return;
    }
    const body: TradeEventMessage = { trade_event: true, account_id: accountId, received_at: now };
    if (orders.update !== undefined) body.update = orders.update;
    const open = orders.openedOrders;
    // Sized by count, not by serializing on the event path: ~300 chars an order.
    if (Array.isArray(open) && open.length > MAX_OPEN_ORDERS) this.counts.trimmed++;
    else if (open !== undefined) body.opened_orders = open;
    if (learntOffsetMs !== 0) body.learnt_offset_min = learntOffsetMs / 60_000;
    this.pending.push({ body });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.sendPending);
    }
  }

  /** Takes what is pending (the send's synchronous part; the benchmark's per-frame drain). */
  drain(): Array<{ body: TradeEventMessage }> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    return batch;
  }

  /** Sends what is pending (also awaited by tests). */
  async flush(): Promise<void> {
    const batch = this.drain();
    for (let i = 0; i < batch.length; i += PER_SEND) {
      const part = batch.slice(i, i + PER_SEND);
      try {
        await this.queue!.sendBatch(part);
        this.counts.handed += part.length;
      } catch (err) {
        this.counts.dropped += part.length;
        log("monitor:orders_handoff_failed", { events: part.length }, err);
      }
    }
  }
}
