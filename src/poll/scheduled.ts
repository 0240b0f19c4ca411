/**
 * The cron handler: every minute, the live side (wake the monitor, reconcile it with
 * Postgres) and the poll sweep over every account that is not live.
 */
import { runAlertsPass } from "../alerts/consumer.ts";
import { openDb } from "../db/client.ts";
import { subscribeLive, toSubscribeInput, reconcileLive } from "../live/handoff.ts";
import { log } from "../log.ts";
import {
  DEFAULT_INLINE_MAX,
  enqueuePoll,
  pollableIds,
  shouldQueue,
  type DispatchResult,
  type PollMessage,
} from "./dispatch.ts";
import { selectPollable, pollAccounts, type PollReport } from "./sweep.ts";

/** Polls every pollable account, page by page; returns the summed report. */
export async function runSweep(env: Env, now: () => number = Date.now): Promise<PollReport> {
  const started = now();
  const total: PollReport = {
    polled: 0,
    entered_live: 0,
    exited_live: 0,
    violations: 0,
    errors: 0,
    duration_ms: 0,
  };
  const handle = openDb(env);
  try {
    let afterId = 0;
    for (;;) {
      const page = await selectPollable(handle.db, afterId, 500);
      if (page.length === 0) break;
      afterId = page[page.length - 1]!.id;
      const report = await pollAccounts(handle.db, page, {
        mtapiUrl: env.MTAPI_URL,
        now,
        onEnterLive: async (rows, changes) => {
          await subscribeLive(
            env,
            rows.map((r, i) => toSubscribeInput(r, changes[i]!.riskState)),
          );
        },
      });
      total.polled += report.polled;
      total.entered_live += report.entered_live;
      total.violations += report.violations;
      total.errors += report.errors;
    }
  } finally {
    await handle.close();
  }
  total.duration_ms = now() - started;
  log("poll:sweep", { ...total });
  return total;
}

/** Wakes the live monitor and repairs its subscriptions against Postgres. */
export async function runReconcile(env: Env): Promise<void> {
  const handle = openDb(env);
  try {
    await reconcileLive(env, handle.db);
  } finally {
    await handle.close();
  }
}

/**
 * Starts a sweep: few accounts are polled right here, more go through the queue.
 * `POLL_INLINE_MAX` (a number) moves the threshold.
 */
export async function dispatchSweep(
  env: Env,
  now: () => number = Date.now,
): Promise<DispatchResult> {
  const sweepAt = now();
  const ids = await pollableIds(env);
  const inlineMax = Number(env.POLL_INLINE_MAX ?? DEFAULT_INLINE_MAX);
  if (!shouldQueue(ids.length, Boolean(env.POLL_QUEUE), inlineMax)) {
    await runSweep(env, now);
    return { accounts: ids.length, messages: 0, ids };
  }
  const messages = await enqueuePoll(env.POLL_QUEUE as Queue<PollMessage>, ids, sweepAt);
  return { accounts: ids.length, messages, ids };
}

export async function scheduled(
  _controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  ctx.waitUntil(
    runReconcile(env).catch((err: unknown) => log("monitor:reconcile_failed", {}, err)),
  );
  ctx.waitUntil(dispatchSweep(env).catch((err: unknown) => log("poll:sweep_failed", {}, err)));
  ctx.waitUntil(runAlertsPass(env).catch((err: unknown) => log("alerts:pass_failed", {}, err)));
}
