/**
 * The poll sweep over every pollable account, started by the cron (or `POST /v1/poll`
 * without a body). Few accounts are polled right here; beyond `POLL_INLINE_MAX` (when the
 * poll queue is bound) their ids go to the queue in batches (dispatch.ts). Either way the
 * pollable set is read once, longest unread first, over one database pool; a sweep cut short
 * by a database outage is tried again as soon as the database answers (docs/never-blind.md).
 */
import { sql } from "drizzle-orm";
import { sealKeysOf } from "../accounts/credentials.ts";
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
import { selectPollable, selectSweepOrder } from "./pollable.ts";
import { brokerClockOf } from "./trades.ts";
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
  const sealKeys = await sealKeysOf(env);
  for await (const page of pages) {
    addReport(
      total,
      await pollAccounts(db, page, {
        mtapiUrl: env.MTAPI_URL,
        now,
        onEnterLive,
        sealKeys,
        streamAll: streamsAll(env),
        brokerClock: brokerClockOf(env),
        enforcement: env.ENFORCEMENT,
        onActions: runCreated(db, env),
      }),
    );
  }
  total.duration_ms = now() - started;
  log("poll:sweep", { ...total });
  return total;
}

/** The pollable rows of `ids`, in that order, a page at a time. */
async function* rowsInOrder(db: Db, ids: readonly number[]): AsyncGenerator<AccountRow[]> {
  for (let i = 0; i < ids.length; i += PAGE) {
    const chunk = ids.slice(i, i + PAGE);
    const byId = new Map(
      (await selectPollable(db, { ids: chunk }, chunk.length)).map((r) => [r.id, r]),
    );
    const page = chunk.map((id) => byId.get(id)).filter((r): r is AccountRow => r !== undefined);
    if (page.length) yield page;
  }
}

/** Polls every pollable account here, longest unread first; returns the summed report. */
export async function runSweep(
  env: Env,
  now: () => number = Date.now,
  notReadSince?: number,
): Promise<PollReport> {
  const handle = openDb(env);
  try {
    const ids = await selectSweepOrder(handle.db, notReadSince);
    return await pollPages(env, handle.db, rowsInOrder(handle.db, ids), now);
  } finally {
    await handle.close();
  }
}

/**
 * How long after it started a sweep cut short by an error (a database outage) is tried again,
 * as soon as the database answers (ms). Under the cron's minute, so the next tick finds the
 * lease free; docs/never-blind.md.
 */
export const SWEEP_RETRY_WINDOW_MS = 45_000;
/** How often the database is asked whether it answers again, while a sweep waits (ms). */
const PROBE_EVERY_MS = 1_000;
/** Attempts of one sweep at most: an error that is not an outage must not loop for the window. */
export const SWEEP_ATTEMPTS = 5;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the database answers (`select 1`), up to `deadline`; true when it did. */
async function databaseAnswers(env: Env, deadline: number, now: () => number): Promise<boolean> {
  for (;;) {
    try {
      await withDb(env, (db) => db.execute(sql`select 1`));
      return true;
    } catch {
      if (now() + PROBE_EVERY_MS >= deadline) return false;
      await pause(PROBE_EVERY_MS);
    }
  }
}

/**
 * Starts a sweep unless another is running (the sweep lease, lease.ts; then it answers
 * `skipped`): polls here while the pollable accounts number at most `POLL_INLINE_MAX`
 * (default 100) or no queue is bound; otherwise enqueues their ids. Accounts go longest
 * unread first. A sweep cut short (the lease not taken, the accounts not read or not written,
 * because the database went away) does not wait for the next cron tick: it is tried again as
 * soon as the database answers, within `retryWindowMs` of its start, for the accounts its
 * earlier attempt did not read, under the same lease (docs/never-blind.md).
 */
export async function dispatchSweep(
  env: Env,
  now: () => number = Date.now,
  retryWindowMs = SWEEP_RETRY_WINDOW_MS,
): Promise<DispatchResult> {
  const holder = crypto.randomUUID();
  const started = now();
  const deadline = started + retryWindowMs;
  let held = false;
  /** A take was sent: it may have landed unanswered, so the lease is given back in any case. */
  let asked = false;
  const renew = setInterval(() => {
    if (!held) return;
    withDb(env, (db) => renewLease(db, holder)).catch((err) =>
      log("poll:lease_renew_failed", {}, err),
    );
  }, SWEEP_LEASE_RENEW_S * 1000);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!held) {
          // Taking it again as the same holder succeeds (a take whose answer was lost).
          asked = true;
          held = await withDb(env, (db) => takeLease(db, holder));
          if (!held) {
            asked = false; // another holder's: nothing of ours to give back
            log("poll:sweep_skipped", { reason: "another sweep holds the lease" });
            return { accounts: 0, messages: 0, skipped: true };
          }
        }
        return await dispatchHeld(env, now, attempt > 1 ? started : undefined);
      } catch (err) {
        if (attempt >= SWEEP_ATTEMPTS || now() + PROBE_EVERY_MS >= deadline) throw err;
        await pause(PROBE_EVERY_MS);
        if (!(await databaseAnswers(env, deadline, now))) throw err;
        log("poll:sweep_retried", { attempt: attempt + 1, after_ms: now() - started }, err);
      }
    }
  } finally {
    clearInterval(renew);
    if (asked) await giveBack(env, holder, now);
  }
}

/** How long a lease that could not be given back is retried (ms): then it lapses on its own. */
const RELEASE_WINDOW_MS = 30_000;

/**
 * Gives the lease back over a fresh connection, retried as soon as the database answers: a
 * sweep that ended in a database outage must not hold it (it would lapse only after
 * SWEEP_LEASE_S, and the sweeps of the ticks between would be skipped).
 */
async function giveBack(env: Env, holder: string, now: () => number): Promise<void> {
  const deadline = now() + RELEASE_WINDOW_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await withDb(env, (db) => releaseLease(db, holder));
      return;
    } catch (err) {
      log("poll:lease_release_failed", { attempt }, err);
      if (now() >= deadline || !(await databaseAnswers(env, deadline, now))) return;
    }
  }
}

/** The sweep itself, run while holding the lease; `notReadSince`: see sweepOrder. */
async function dispatchHeld(
  env: Env,
  now: () => number,
  notReadSince?: number,
): Promise<DispatchResult> {
  const queue = env.POLL_QUEUE as Queue<PollMessage> | undefined;
  if (!queue) {
    const report = await runSweep(env, now, notReadSince);
    return { accounts: report.polled, messages: 0 };
  }
  const sweepAt = notReadSince ?? now();
  const inlineMax = Number(env.POLL_INLINE_MAX ?? DEFAULT_INLINE_MAX);
  const handle = openDb(env);
  try {
    // The order alone (ids), then the rows a page at a time only when polled here.
    const ids = await selectSweepOrder(handle.db, notReadSince);
    if (ids.length <= inlineMax) {
      await pollPages(env, handle.db, rowsInOrder(handle.db, ids), now);
      return { accounts: ids.length, messages: 0 };
    }
    const messages = await enqueuePoll(queue, ids, sweepAt);
    return { accounts: ids.length, messages };
  } finally {
    await handle.close();
  }
}
