/**
 * The sweep's fan-out. One cron invocation is capped (subrequests, six open connections, CPU),
 * so beyond a small number of accounts the sweep (sweep.ts) enqueues the ids of the pollable
 * accounts in batches; the Worker's `queue()` handler polls each batch.
 */
import type { LiveRereadMessage } from "../live/reread-handoff.ts";
import type { TradeEventMessage } from "../live/order-handoff.ts";
import { log } from "../util/log.ts";

/** One queue message: a batch of accounts to poll. */
export interface PollMessage {
  account_ids: number[];
  /** Epoch ms the sweep was started; an account already read since is not read again. */
  sweep_at: number;
}

/** A queue message asking for a full sweep (`POST /v1/poll` without a body). */
export interface SweepRequest {
  full_sweep: true;
  /** Epoch ms the sweep was asked for. */
  requested_at: number;
}

/** Anything on the poll queue (and the live monitors' overflow re-reads, reread-handoff.ts). */
export type PollQueueMessage = PollMessage | SweepRequest | LiveRereadMessage | TradeEventMessage;

/** True for a full-sweep request, false for a batch of accounts. */
export function isSweepRequest(body: PollQueueMessage): body is SweepRequest {
  return (body as Partial<SweepRequest>).full_sweep === true;
}

/** Accounts per message: with 6 MTAPI calls in flight and ~50 ms each, well under a second. */
export const IDS_PER_MESSAGE = 50;
/** Messages per `sendBatch` call (the platform's limit). */
const MESSAGES_PER_SEND = 100;
/** Up to this many accounts the cron polls them itself, without the queue. */
export const DEFAULT_INLINE_MAX = 100;

/** What starting a sweep did. */
export interface DispatchResult {
  /** Pollable accounts found. */
  accounts: number;
  /** Messages enqueued; 0 when the sweep ran inline. */
  messages: number;
  /** Present when nothing was done because another sweep holds the lease. */
  skipped?: true;
}

/** Splits ids into queue messages. */
export function toMessages(
  ids: readonly number[],
  sweepAt: number,
  perMessage = IDS_PER_MESSAGE,
): PollMessage[] {
  const out: PollMessage[] = [];
  for (let i = 0; i < ids.length; i += perMessage)
    out.push({ account_ids: ids.slice(i, i + perMessage), sweep_at: sweepAt });
  return out;
}

/** Enqueues the ids in batches; returns the number of messages sent. */
export async function enqueuePoll(
  queue: Queue<PollMessage>,
  ids: readonly number[],
  sweepAt: number,
): Promise<number> {
  const messages = toMessages(ids, sweepAt);
  for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND) {
    await queue.sendBatch(messages.slice(i, i + MESSAGES_PER_SEND).map((body) => ({ body })));
  }
  log("poll:enqueued", { accounts: ids.length, messages: messages.length });
  return messages.length;
}
