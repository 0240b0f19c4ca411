/**
 * The `queue()` handler: polls the accounts of each message. Delivery is at least once, so
 * handling is idempotent: an account read since its sweep started (a redelivered message, or
 * an operator's poll) is not read again; violations are unique per period in any case.
 */
import { inArray } from "drizzle-orm";
import { accounts } from "../db/schema.ts";
import { isTradeEvent, type TradeEventMessage } from "../live/order-handoff.ts";
import { brokerClockOf, ingestOrderEvent } from "./trades.ts";
import { sealKeysOf } from "../accounts/credentials.ts";
import { streamsAll } from "../live/client/stream-all.ts";
import { openDb, type DbHandle } from "../db/client.ts";
import { subscribeEntered } from "../live/client/handoff.ts";
import { log } from "../util/log.ts";
import { isLiveReread, type LiveRereadMessage } from "../live/reread-handoff.ts";
import { isSweepRequest, type PollMessage, type PollQueueMessage } from "./dispatch.ts";
import { rereadForMonitor } from "../live/rest-reread.ts";
import { pollAccounts, readSummaries, type PollOptions, type PollReport } from "./poll-accounts.ts";
import { selectPollable } from "./pollable.ts";
import { dispatchSweep } from "./sweep.ts";
import { runCreated } from "../enforce/run.ts";

/**
 * Handles a batch of the poll queue: full-sweep requests start one sweep (dispatchSweep, which
 * skips while another sweep holds the lease); the accounts of the other messages are polled,
 * those messages acknowledged or retried together.
 */
export async function handlePollBatch(
  batch: MessageBatch<PollQueueMessage>,
  env: Env,
): Promise<PollReport | null> {
  const sweeps = batch.messages.filter((m) => isSweepRequest(m.body));
  if (sweeps.length > 0) await runRequestedSweep(sweeps, env);
  const rereads = batch.messages.filter((m): m is Message<LiveRereadMessage> =>
    isLiveReread(m.body),
  );
  if (rereads.length > 0) await runLiveRereads(rereads, env);
  const tradeEvents = batch.messages.filter((m): m is Message<TradeEventMessage> =>
    isTradeEvent(m.body),
  );
  if (tradeEvents.length > 0) await runTradeEvents(tradeEvents, env);
  const polls = batch.messages.filter(
    (m): m is Message<PollMessage> =>
      !isSweepRequest(m.body) && !isLiveReread(m.body) && !isTradeEvent(m.body),
  );
  if (polls.length === 0) return null;
  let handle: DbHandle | null = null;
  try {
    const sweepAt = new Map<number, number>();
    for (const m of polls)
      for (const id of m.body.account_ids)
        sweepAt.set(id, Math.min(sweepAt.get(id) ?? Infinity, m.body.sweep_at));
    const ids = [...sweepAt.keys()];
    handle = openDb(env);
    const rows = (await selectPollable(handle.db, { ids }, ids.length)).filter(
      (r) => !r.riskState || r.riskState.last_at < sweepAt.get(r.id)!,
    );
    // The pool's socket is one of the invocation's 6 simultaneous connections: closed while
    // MTAPI is read, so all six carry MTAPI calls (docs/benchmarks/2026-11-26-full-run.md, "Sweep").
    await handle.close();
    handle = null;
    const opts: PollOptions = {
      mtapiUrl: env.MTAPI_URL,
      streamAll: streamsAll(env),
      onEnterLive: subscribeEntered(env),
      brokerClock: brokerClockOf(env),
      sealKeys: await sealKeysOf(env),
      enforcement: env.ENFORCEMENT,
      // The pool is reopened before the write; actions run on it.
      onActions: (actions) => (handle ? runCreated(handle.db, env)(actions) : Promise.resolve()),
    };
    const summaries = await readSummaries(rows, opts);
    handle = openDb(env);
    const report = await pollAccounts(handle.db, rows, opts, summaries);
    if (sweeps.length + rereads.length + tradeEvents.length === 0) batch.ackAll();
    else for (const m of polls) m.ack();
    log("poll:batch", {
      messages: polls.length,
      ...report,
      skipped: sweepAt.size - rows.length,
    });
    return report;
  } catch (err) {
    log("poll:batch_failed", { messages: polls.length }, err);
    if (sweeps.length + rereads.length + tradeEvents.length === 0) batch.retryAll();
    else for (const m of polls) m.retry();
    return null;
  } finally {
    await handle?.close();
  }
}

/** One sweep for however many requests the batch holds; retried if it fails. */
async function runRequestedSweep(requests: readonly Message<PollQueueMessage>[], env: Env) {
  try {
    const result = await dispatchSweep(env);
    log("poll:sweep_requested", { requests: requests.length, ...result });
    for (const m of requests) m.ack();
  } catch (err) {
    log("poll:sweep_failed", { trigger: "queue" }, err);
    for (const m of requests) m.retry();
  }
}

/**
 * Order events of live accounts (src/live/order-handoff.ts), in the order they came: stored
 * and judged, each message acked or retried on its own (ingest is idempotent).
 */
async function runTradeEvents(messages: readonly Message<TradeEventMessage>[], env: Env) {
  const handle = openDb(env);
  const clock = brokerClockOf(env);
  try {
    const ids = [...new Set(messages.map((m) => m.body.account_id))];
    const rows = new Map(
      (await handle.db.select().from(accounts).where(inArray(accounts.id, ids))).map((r) => [
        r.id,
        r,
      ]),
    );
    for (const m of messages) {
      const row = rows.get(m.body.account_id);
      if (row === undefined) {
        m.ack();
        continue;
      }
      try {
        const report = await ingestOrderEvent(
          handle.db,
          row,
          {
            update: m.body.update,
            openedOrders: m.body.opened_orders,
            receivedAt: m.body.received_at,
            ...(typeof m.body.learnt_offset_min === "number"
              ? { learntOffsetMinutes: m.body.learnt_offset_min }
              : {}),
          },
          { clock },
        );
        if (report.violations > 0) log("trades:event", { account_id: row.id, ...report });
        m.ack();
      } catch (err) {
        log("trades:event_failed", { account_id: row.id }, err);
        m.retry();
      }
    }
  } finally {
    await handle.close();
  }
}

/** The live monitors' overflow re-reads, each message acked or retried on its own. */
async function runLiveRereads(messages: readonly Message<LiveRereadMessage>[], env: Env) {
  const handle = openDb(env);
  try {
    for (const m of messages) {
      try {
        await rereadForMonitor(handle.db, env, m.body);
        m.ack();
      } catch (err) {
        log("poll:live_reread_failed", { monitor: m.body.monitor }, err);
        m.retry();
      }
    }
  } finally {
    await handle.close();
  }
}

export async function queue(
  batch: MessageBatch<PollQueueMessage>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await handlePollBatch(batch, env);
}
