/**
 * Runs an enforcement action from its row (docs/enforcement.md, "Execution"): claims its
 * lease, drives the pure core over MTAPI with the state written before every command, and
 * lets it go when it must wait longer than a moment (the market is closed, a backoff): the
 * cron resumes due actions. A database outage stops the run before anything more is sent; a
 * later run resumes from the last state written, settling an unanswered close by reading.
 */
import { openSessionInWorker } from "../secrets/session.ts";
import type { Db } from "../db/client.ts";
import { ACCOUNT_DELETED, type ActionState, isFinished } from "../domain/enforcement/action.ts";
import { type ActionHost, drive } from "../domain/enforcement/drive.ts";
import { credentialOpener, recordRenewed, sealKeysOf } from "../accounts/credentials.ts";
import { findAccount } from "../accounts/queries.ts";
import type { SealKeys } from "../secrets/seal.ts";
import { log } from "../util/log.ts";
import { brokerCalls } from "./broker.ts";
import { announceAction } from "./alerts.ts";
import { guardLocks } from "./lock-guard.ts";
import { claimAction, dueActions, persistAction, releaseAction } from "./store.ts";
import { brokerOfDeleted } from "./broker.ts";

export interface RunOptions {
  mtapiUrl: string;
  fetcher?: typeof fetch;
  /** Waits up to this long (ms) are slept through; longer ones end the run until resumed. */
  inlineWaitMs?: number;
  /** Per MTAPI call (ms). */
  timeoutMs?: number;
  owner?: string;
  /** The clock the core decides by (epoch ms); Date.now when absent (the monitor's in tests). */
  now?: () => number;
  /** The run let the action go to wait until `until` (epoch ms): the caller resumes it then. */
  onRelease?: (until: number) => void;
  /** The seal keys a stored password opens with (a renewal by `ConnectEx`); null: none. */
  sealKeys?: SealKeys | null;
}

/** Runs one action; null when another runner holds it or it is finished already. */
export async function runAction(db: Db, id: number, opts: RunOptions): Promise<ActionState | null> {
  const owner = opts.owner ?? crypto.randomUUID();
  const claimed = await claimAction(db, id, owner);
  if (claimed === null) return null;
  const account = await findAccount(db, claimed.accountId);
  if (account === null) {
    // Accounts are archived, never removed (on delete restrict): not reached in practice.
    await releaseAction(db, id, owner, Date.now());
    return null;
  }
  const open = credentialOpener(opts.sealKeys ?? null);
  // A deleted account's session is wiped (its token a placeholder): nothing is called with it,
  // every call answers ACCOUNT_DELETED at once (docs/enforcement.md, "Deleted accounts").
  const broker =
    account.status === "deleted"
      ? brokerOfDeleted()
      : brokerCalls({
          mtapiUrl: opts.mtapiUrl,
          // Sealed at rest (docs/security.md); opened before anything is sent, once per isolate.
          sessionId: await openSessionInWorker(account.sessionId),
          login: account.login,
          server: account.server,
          password: () => open(account),
          fetcher: opts.fetcher,
          timeoutMs: opts.timeoutMs ?? 10_000,
          onRenewed: async (old, token, via) => {
            // Not recorded (a database error, an operator's change): the next run renews again.
            await recordRenewed(
              db,
              opts.sealKeys ?? null,
              account.id,
              old,
              token,
              via,
              "enforcement",
            ).catch((err: unknown) =>
              log("session:renew_record_failed", { account_id: account.id }, err),
            );
          },
        });
  const inlineWait = opts.inlineWaitMs ?? 2_000;
  const clock = opts.now ?? Date.now;
  let resumeAt: number | null = null;
  // The halt is checked by each write of a state that can lead to a command (not by a read
  // before it): a refused write is planned again, halted (src/domain/enforcement/drive.ts).
  let haltFound: boolean | string = false;
  const host: ActionHost = {
    now: clock,
    // An operator's halt, or the account deleted since the run began: found by the write of a
    // state that can lead to a command, either stops every step not yet sent; steps already
    // sent are settled by reading (with the token still held here).
    halted: () => haltFound,
    persist: async (s) => {
      const kept = await persistAction(
        db,
        id,
        owner,
        s,
        resumeAt,
        haltFound === false && !isFinished(s),
      );
      if (kept === undefined) return;
      haltFound = kept === "halted" ? true : kept;
      return haltFound;
    },
    readSummary: broker.readSummary,
    readOpened: broker.readOpened,
    send: (ticket) => broker.send(ticket),
    renew: broker.renew,
    wait: async (until) => {
      const ms = until - clock();
      if (ms <= inlineWait) {
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        return true;
      }
      resumeAt = until;
      await releaseAction(db, id, owner, until);
      opts.onRelease?.(until);
      return false;
    },
  };
  // Announced beside the first commands, not before them: the closes are what is waited for.
  // Not recorded (the database down): tried again once the action finishes, or by a resumed run.
  const announceStart = () =>
    announceAction(
      db,
      "enforcement.started",
      claimed.accountId,
      id,
      claimed.machine,
      claimed.floor,
    );
  const started = announceStart().then(
    () => true,
    () => false,
  );
  let state: ActionState;
  try {
    state = await drive(claimed.machine, host);
  } finally {
    await started;
  }
  if (isFinished(state) && !(await started))
    await announceStart().catch((err: unknown) =>
      log("enforcement:alert_failed", { action_id: id }, err),
    );
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

/** What a runner needs of the Worker's env. */
export interface RunEnv {
  MTAPI_URL: string;
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}

/** The poll paths' `onActions`: runs the new actions at once, each on its own (after commit). */
export function runCreated(
  db: Db,
  env: RunEnv,
): (actions: ReadonlyArray<{ id: number }>) => Promise<void> {
  return async (actions) => {
    const sealKeys = await sealKeysOf(env);
    await Promise.all(
      actions.map(async (a) => {
        try {
          await runAction(db, a.id, { mtapiUrl: env.MTAPI_URL, sealKeys });
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
  env: RunEnv & { ENFORCEMENT?: string | undefined },
): Promise<number> {
  await guardLocks(db, { mtapiUrl: env.MTAPI_URL, deployment: env.ENFORCEMENT }).catch(
    (err: unknown) => log("enforcement:guard_failed", {}, err),
  );
  return runDueActions(db, { mtapiUrl: env.MTAPI_URL, sealKeys: await sealKeysOf(env) });
}
