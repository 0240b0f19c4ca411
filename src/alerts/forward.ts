/**
 * Getting deliveries onto the alert queues. {@link enqueueDeliveries} sends one queue message
 * per delivery, each to its lane. Writers create deliveries with their message (record.ts)
 * and send them after the commit (nudge.ts); the cron's pass covers what that misses:
 * {@link rescueStale} re-enqueues deliveries left pending past their due time (a send lost to
 * a crash right after the commit), and {@link forwardPending} turns any message stored without
 * its deliveries (`dispatched_at` null) into one delivery per matching enabled endpoint.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { log } from "../util/log.ts";
import type { AlertQueueMessage } from "./queue-message.ts";

/** What this module needs of a Queue binding (`Queue<AlertQueueMessage>` satisfies it). */
export interface QueueLike {
  sendBatch(
    messages: Iterable<{ body: AlertQueueMessage; delaySeconds?: number }>,
  ): Promise<unknown>;
}

/** The two alert queues (queue-message.ts). */
export interface AlertQueues {
  /** Nudges and first attempts to healthy endpoints. */
  fast: QueueLike;
  /** Retries, and endpoints currently failing. */
  slow: QueueLike;
}

/** A delivery to enqueue, and whether its endpoint is failing (slow lane). */
export interface Enqueue {
  id: number;
  failing: boolean;
  delayS?: number;
}

/** Messages forwarded per pass; more wait for the next pass. */
const MESSAGES_PER_PASS = 200;
/** The platform's limit per `sendBatch`. */
const PER_SEND = 100;
/** A pending delivery this late (ms) lost its queue message. */
export const STALE_AFTER_MS = 2 * 60_000;

/** Sends deliver messages, each to its lane, in batches. */
export async function enqueueDeliveries(
  queues: AlertQueues,
  items: readonly Enqueue[],
): Promise<void> {
  for (const failing of [false, true]) {
    const lane = items.filter((i) => i.failing === failing);
    const queue = failing ? queues.slow : queues.fast;
    for (let i = 0; i < lane.length; i += PER_SEND) {
      await queue.sendBatch(
        lane.slice(i, i + PER_SEND).map((d) => ({
          body: { kind: "deliver" as const, delivery_id: d.id },
          ...(d.delayS ? { delaySeconds: d.delayS } : {}),
        })),
      );
    }
  }
}

/** Forwards undispatched messages; returns how many messages and deliveries it handled. */
export async function forwardPending(
  db: Db,
  queues: AlertQueues,
  now: number = Date.now(),
): Promise<{ messages: number; deliveries: number }> {
  const at = new Date(now).toISOString();
  const result = await db.transaction(async (tx) => {
    const pending = await tx.execute<{ id: string }>(sql`
      select id from webhook_messages where dispatched_at is null
      order by created_at limit ${MESSAGES_PER_PASS} for update skip locked`);
    const ids = pending.rows.map((r) => r.id);
    if (ids.length === 0) return { messages: 0, created: [] as Enqueue[] };
    const created = await tx.execute<{ id: string | number; failing: boolean }>(sql`
      with ins as (
        insert into webhook_deliveries (message_id, endpoint_id, next_attempt_at, first_attempt_at, created_at)
        select m.id, e.id, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
        from webhook_messages m
        join webhook_endpoints e on e.enabled
          and (m.target_endpoint_id is null or e.id = m.target_endpoint_id)
          and (e.events @> jsonb_build_array(m.type) or e.events @> '["*"]'::jsonb)
        where m.id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
        on conflict (message_id, endpoint_id) do nothing
        returning id, endpoint_id
      )
      select ins.id, e.failing_since is not null as failing
      from ins join webhook_endpoints e on e.id = ins.endpoint_id`);
    await tx.execute(sql`
      update webhook_messages set dispatched_at = ${at}::timestamptz
      where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`);
    return {
      messages: ids.length,
      created: created.rows.map((r) => ({ id: Number(r.id), failing: Boolean(r.failing) })),
    };
  });
  await enqueueDeliveries(queues, result.created);
  if (result.messages > 0)
    log("alerts:forwarded", { messages: result.messages, deliveries: result.created.length });
  return { messages: result.messages, deliveries: result.created.length };
}

/**
 * Re-enqueues pending deliveries more than {@link STALE_AFTER_MS} past due (their queue
 * message was lost) and moves their due time to now, so each is rescued once per pass.
 */
export async function rescueStale(
  db: Db,
  queues: AlertQueues,
  now: number = Date.now(),
): Promise<number> {
  const at = new Date(now).toISOString();
  const before = new Date(now - STALE_AFTER_MS).toISOString();
  const rows = await db.execute<{ id: string | number; failing: boolean }>(sql`
    with stale as (
      update webhook_deliveries d set next_attempt_at = ${at}::timestamptz
      where d.id in (
        select id from webhook_deliveries
        where status = 'pending' and next_attempt_at < ${before}::timestamptz
        order by next_attempt_at limit 1000)
      returning d.id, d.endpoint_id
    )
    select stale.id, e.failing_since is not null as failing
    from stale join webhook_endpoints e on e.id = stale.endpoint_id`);
  const items = rows.rows.map((r) => ({ id: Number(r.id), failing: Boolean(r.failing) }));
  await enqueueDeliveries(queues, items);
  if (items.length) log("alerts:rescued", { deliveries: items.length });
  return items.length;
}
