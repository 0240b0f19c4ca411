/**
 * The `queue()` handler: polls the accounts of each message. Delivery is at least once, so
 * handling is idempotent: an account read since its sweep started (a redelivered message, or
 * an operator's poll) is not read again; violations are unique per period in any case.
 */
import { openDb } from "../db/client.ts";
import { subscribeEntered } from "../live/client/handoff.ts";
import { log } from "../log.ts";
import type { PollMessage } from "./dispatch.ts";
import { pollAccounts, type PollReport } from "./poll-accounts.ts";
import { selectPollable } from "./pollable.ts";

/** Polls the accounts of a batch of messages; acknowledges or retries the whole batch. */
export async function handlePollBatch(
  batch: MessageBatch<PollMessage>,
  env: Env,
): Promise<PollReport | null> {
  const handle = openDb(env);
  try {
    const sweepAt = new Map<number, number>();
    for (const m of batch.messages)
      for (const id of m.body.account_ids)
        sweepAt.set(id, Math.min(sweepAt.get(id) ?? Infinity, m.body.sweep_at));
    const ids = [...sweepAt.keys()];
    const rows = (await selectPollable(handle.db, { ids }, ids.length)).filter(
      (r) => !r.riskState || r.riskState.last_at < sweepAt.get(r.id)!,
    );
    const report = await pollAccounts(handle.db, rows, {
      mtapiUrl: env.MTAPI_URL,
      onEnterLive: subscribeEntered(env),
    });
    batch.ackAll();
    log("poll:batch", {
      messages: batch.messages.length,
      ...report,
      skipped: sweepAt.size - rows.length,
    });
    return report;
  } catch (err) {
    log("poll:batch_failed", { messages: batch.messages.length }, err);
    batch.retryAll();
    return null;
  } finally {
    await handle.close();
  }
}

export async function queue(
  batch: MessageBatch<PollMessage>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await handlePollBatch(batch, env);
}
