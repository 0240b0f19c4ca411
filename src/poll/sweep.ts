/**
 * The poll sweep over every pollable account, started by the cron (or `POST /v1/poll`
 * without a body). Few accounts are polled right here; beyond `POLL_INLINE_MAX` (when the
 * poll queue is bound) their ids go to the queue in batches (dispatch.ts). Either way the
 * pollable set is read once, page by page, over one database pool.
 */
import { streamsAll } from "../live/client/stream-all.ts";
import { openDb, withDb, type Db } from "../db/client.ts";
import { subscribeEntered } from "../live/client/handoff.ts";
import { log } from "../util/log.ts";
import type { AccountRow } from "../db/schema.ts";
import {
  DEFAULT_INLINE_MAX,
  enqueuePoll,
  type DispatchResult,
  type PollMessage,
} from "./dispatch.ts";
import { addReport, emptyReport, pollAccounts, type PollReport } from "./poll-accounts.ts";
import { releaseLease, renewLease, SWEEP_LEASE_RENEW_S, takeLease } from "./lease.ts";
import { selectPollable } from "./pollable.ts";
import { runCreated } from "../enforce/run.ts";

/** Accounts read and polled per page. */
const PAGE = 500;

/** Polls rows page by page and sums the reports. */
async function pollPages(
  env: Env,
  db: Db,
  pages: AsyncIterable<AccountRow[]>,
  now: () => number,
): Promise<PollReport> {
  const started = now();
  const total = emptyReport();
  const onEnterLive = subscribeEntered(env);
  for await (const page of pages) {
    addReport(
      total,
      await pollAccounts(db, page, {
        mtapiUrl: env.MTAPI_URL,
        now,
        onEnterLive,
        streamAll: streamsAll(env),
        enforcement: env.ENFORCEMENT,
        onActions: runCreated(db, env),
      }),
    );
  }
  total.duration_ms = now() - started;
  log("poll:sweep", { ...total });
  return total;
}

/** Every pollable account, a page at a time, from `afterId` on. */
async function* pollablePages(db: Db, afterId = 0): AsyncGenerator<AccountRow[]> {
  for (;;) {
    const page = await selectPollable(db, { afterId }, PAGE);
    if (page.length === 0) return;
    afterId = page[page.length - 1]!.id;
    yield page;
  }
}

/** The given rows, a page at a time. */
async function* inPages(rows: readonly AccountRow[]): AsyncGenerator<AccountRow[]> {
  for (let i = 0; i < rows.length; i += PAGE) yield rows.slice(i, i + PAGE);
}

/** Polls every pollable account here, page by page; returns the summed report. */
export async function runSweep(env: Env, now: () => number = Date.now): Promise<PollReport> {
  const handle = openDb(env);
  try {
    return await pollPages(env, handle.db, pollablePages(handle.db), now);
  } finally {
    await handle.close();
  }
}

/**
 * Starts a sweep unless another is running (the sweep lease, lease.ts; then it answers
 * `skipped`): polls here while the pollable accounts number at most `POLL_INLINE_MAX`
 * (default 100) or no queue is bound; otherwise enqueues their ids.
 */
export async function dispatchSweep(
  env: Env,
  now: () => number = Date.now,
): Promise<DispatchResult> {
  const holder = crypto.randomUUID();
  const taken = await withDb(env, (db) => takeLease(db, holder));
  if (!taken) {
    log("poll:sweep_skipped", { reason: "another sweep holds the lease" });
    return { accounts: 0, messages: 0, skipped: true };
  }
  const renew = setInterval(() => {
    withDb(env, (db) => renewLease(db, holder)).catch((err) =>
      log("poll:lease_renew_failed", {}, err),
    );
  }, SWEEP_LEASE_RENEW_S * 1000);
  try {
    return await dispatchHeld(env, now);
  } finally {
    clearInterval(renew);
    await giveBack(env, holder);
  }
}

/** Delays between attempts to give the lease back (ms); after them it lapses on its own. */
const RELEASE_RETRY_MS = [0, 1_000, 3_000];

/** Gives the lease back over a fresh connection, retried: a sweep that ended in a database outage must not hold it. */
async function giveBack(env: Env, holder: string): Promise<void> {
  for (const [attempt, wait] of RELEASE_RETRY_MS.entries()) {
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      await withDb(env, (db) => releaseLease(db, holder));
      return;
    } catch (err) {
      log("poll:lease_release_failed", { attempt: attempt + 1 }, err);
    }
  }
}

/** The sweep itself, run while holding the lease. */
async function dispatchHeld(env: Env, now: () => number): Promise<DispatchResult> {
  const queue = env.POLL_QUEUE as Queue<PollMessage> | undefined;
  if (!queue) {
    const report = await runSweep(env, now);
    return { accounts: report.polled, messages: 0 };
  }
  const sweepAt = now();
  const inlineMax = Number(env.POLL_INLINE_MAX ?? DEFAULT_INLINE_MAX);
  const handle = openDb(env);
  try {
    // Read the set once: keep the rows while few enough to poll here, then only their ids.
    let rows: AccountRow[] = [];
    const ids: number[] = [];
    for await (const page of pollablePages(handle.db)) {
      for (const row of page) ids.push(row.id);
      if (ids.length <= inlineMax) rows.push(...page);
      else rows = [];
    }
    if (ids.length <= inlineMax) {
      await pollPages(env, handle.db, inPages(rows), now);
      return { accounts: ids.length, messages: 0 };
    }
    const messages = await enqueuePoll(queue, ids, sweepAt);
    return { accounts: ids.length, messages };
  } finally {
    await handle.close();
  }
}
