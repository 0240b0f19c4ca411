/**
 * The `queue()` handler: polls the accounts of each message. Delivery is at least once, so
 * handling is idempotent: an account read since its sweep started (a redelivered message, or
 * an operator's poll) is not read again; violations are unique per period in any case.
 */
import { openDb } from "../db/client.ts";
import { subscribeLive, toSubscribeInput } from "../live/handoff.ts";
import { log } from "../log.ts";
import type { PollMessage } from "./dispatch.ts";
import { pollAccounts, selectPollableByIds, type PollReport } from "./sweep.ts";

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
    const rows = (await selectPollableByIds(handle.db, [...sweepAt.keys()])).filter(
      (r) => !r.riskState || r.riskState.last_at < sweepAt.get(r.id)!,
    );
    const report = await pollAccounts(handle.db, rows, {
      mtapiUrl: env.MTAPI_URL,
      onEnterLive: async (entered, changes) => {
        await subscribeLive(
          env,
          entered.map((r, i) => toSubscribeInput(r, changes[i]!.riskState)),
        );
      },
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
