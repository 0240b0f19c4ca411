/**
 * The sweep's fan-out. One cron invocation is capped (subrequests, six open connections, CPU),
 * so beyond a small number of accounts the cron only reads the ids of the pollable accounts
 * (one query) and enqueues them in batches; the Worker's `queue()` handler polls each batch.
 */
import { and, asc, eq } from "drizzle-orm";
import { openDb } from "../db/client.ts";
import { accounts } from "../db/schema.ts";
import { log } from "../log.ts";

/** One queue message: a batch of accounts to poll. */
export interface PollMessage {
  account_ids: number[];
  /** Epoch ms the sweep was started; an account already read since is not read again. */
  sweep_at: number;
}

/** Accounts per message: with 6 MTAPI calls in flight and ~50 ms each, well under a second. */
export const IDS_PER_MESSAGE = 50;
/** Messages per `sendBatch` call (the platform's limit). */
const MESSAGES_PER_SEND = 100;
/** Up to this many accounts the cron polls them itself, without the queue. */
export const DEFAULT_INLINE_MAX = 100;

export interface DispatchResult {
  accounts: number;
  /** Messages enqueued; 0 when the sweep ran inline. */
  messages: number;
  ids: number[];
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

/** The ids of every account the sweep polls (active and not live). */
export async function pollableIds(env: Env): Promise<number[]> {
  const handle = openDb(env, 1);
  try {
    const rows = await handle.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.status, "active"), eq(accounts.monitoringState, "polling")))
      .orderBy(asc(accounts.id));
    return rows.map((r) => r.id);
  } finally {
    await handle.close();
  }
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

/** How the sweep of `ids` should run: inline (few accounts, or no queue bound) or queued. */
export function shouldQueue(count: number, hasQueue: boolean, inlineMax: number): boolean {
  return hasQueue && count > inlineMax;
}
