/**
 * Runs an enforcement action from its row (docs/enforcement.md, "Execution"): claims its
 * lease, drives the pure core over MTAPI with the state written before every command, and
 * lets it go when it must wait longer than a moment (the market is closed, a backoff): the
 * cron resumes due actions. A database outage stops the run before anything more is sent; a
 * later run resumes from the last state written, settling an unanswered close by reading.
 */
import { openSessionInWorker } from "../secrets/session.ts";
import type { Db } from "../db/client.ts";
import { type ActionState, isFinished } from "../domain/enforcement/action.ts";
import { type ActionHost, drive } from "../domain/enforcement/drive.ts";
import {
  orderCloseSafe,
  readOpenedOrders,
  readSummary,
  renewSession,
  type TradingOptions,
} from "../mtapi/trading.ts";
import { log } from "../util/log.ts";
import { announceAction } from "./alerts.ts";
import { guardLocks } from "./lock-guard.ts";
import { claimAction, dueActions, persistAction, readHalt, releaseAction } from "./store.ts";

export interface RunOptions {
  mtapiUrl: string;
  fetcher?: typeof fetch;
  /** Waits up to this long (ms) are slept through; longer ones end the run until resumed. */
  inlineWaitMs?: number;
  /** Per MTAPI call (ms). */
  timeoutMs?: number;
  owner?: string;
}

/** Runs one action; null when another runner holds it or it is finished already. */
export async function runAction(db: Db, id: number, opts: RunOptions): Promise<ActionState | null> {
  const owner = opts.owner ?? crypto.randomUUID();
  const claimed = await claimAction(db, id, owner);
  if (claimed === null) return null;
  const trading: TradingOptions = {
    mtapiUrl: opts.mtapiUrl,
    // Sealed at rest (docs/security.md); opened before anything is sent, once per isolate.
    sessionId: await openSessionInWorker(claimed.sessionId),
    fetcher: opts.fetcher,
    timeoutMs: opts.timeoutMs ?? 10_000,
  };
  const inlineWait = opts.inlineWaitMs ?? 2_000;
  let resumeAt: number | null = null;
  const host: ActionHost = {
    now: Date.now,
    halted: async () => (await readHalt(db)).halted,
    persist: (s) => persistAction(db, id, owner, s, resumeAt),
    readSummary: () => readSummary(trading),
    readOpened: () => readOpenedOrders(trading),
    send: (ticket) => orderCloseSafe(trading, ticket),
    renew: () => renewSession(trading),
    wait: async (until) => {
      const ms = until - Date.now();
      if (ms <= inlineWait) {
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        return true;
      }
      resumeAt = until;
      await releaseAction(db, id, owner, until);
      return false;
    },
  };
  await announceAction(
    db,
    "enforcement.started",
    claimed.accountId,
    id,
    claimed.machine,
    claimed.floor,
  );
  const state = await drive(claimed.machine, host);
  if (isFinished(state)) {
    // An investor session, a halt, an unreadable account: the failure is alerted with its reason.
    await announceAction(
      db,
      state.phase === "done" ? "enforcement.completed" : "enforcement.failed",
      claimed.accountId,
      id,
      state,
      claimed.floor,
    ).catch((err: unknown) => log("enforcement:alert_failed", { action_id: id }, err));
    log(state.phase === "done" ? "enforcement:done" : "enforcement:failed", {
      action_id: id,
      account_id: claimed.accountId,
      dry_run: state.dry_run,
      steps: state.steps.length,
      failure: state.failure,
    });
  }
  return state;
}

/** Runs every due action (the cron's pass); one failing never stops the others. */
export async function runDueActions(db: Db, opts: RunOptions): Promise<number> {
  const ids = await dueActions(db);
  let ran = 0;
  await Promise.all(
    ids.map(async (id) => {
      try {
        if ((await runAction(db, id, opts)) !== null) ran += 1;
      } catch (err) {
        log("enforcement:run_failed", { action_id: id }, err);
      }
    }),
  );
  return ran;
}

/** The poll paths' `onActions`: runs the new actions at once, each on its own (after commit). */
export function runCreated(
  db: Db,
  env: { MTAPI_URL: string },
): (actions: ReadonlyArray<{ id: number }>) => Promise<void> {
  return async (actions) => {
    await Promise.all(
      actions.map(async (a) => {
        try {
          await runAction(db, a.id, { mtapiUrl: env.MTAPI_URL });
        } catch (err) {
          // Left to the cron's pass over due actions, from the last state written.
          log("enforcement:run_failed", { action_id: a.id }, err);
        }
      }),
    );
  };
}

/**
 * The cron's enforcement pass: lift expired locks, start guards for locked accounts found not
 * flat, then run every due action (new guards, waits over, interrupted runs).
 */
export async function enforcementPass(
  db: Db,
  env: { MTAPI_URL: string; ENFORCEMENT?: string | undefined },
): Promise<number> {
  await guardLocks(db, { mtapiUrl: env.MTAPI_URL, deployment: env.ENFORCEMENT }).catch(
    (err: unknown) => log("enforcement:guard_failed", {}, err),
  );
  return runDueActions(db, { mtapiUrl: env.MTAPI_URL });
}
