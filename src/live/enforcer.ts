/**
 * Enforcement inside the live monitor shard (docs/enforcement.md, "Execution"): a live hard
 * breach's action is committed with its violation by the writer (writer.ts), and this shard
 * runs it at once, as soon as that commit is back, without waiting for the cron.
 *
 * Exactly once: the action row's lease in Postgres (src/enforce/store.ts) decides who runs it;
 * this shard claims it under an owner of its own incarnation, and the cron's pass over due
 * actions is only the backstop (an action whose lease expired, a shard gone for good). A run
 * that loses the lease writes nothing more, so sends nothing more.
 *
 * Survives eviction and outages: the ids are kept in the shard's storage (`enforce`, store.ts)
 * with when each is due; the alarm resumes them. While an action runs it is due again only
 * after its lease would have expired (an eviction mid-run resumes it then, settling any
 * unanswered close by reading); a database outage backs off and tries again; a wait for the
 * market resumes at its end.
 */
import { isFinished } from "../domain/enforcement/action.ts";
import { openDb, type DbConfig } from "../db/client.ts";
import { sealKeysOf } from "../accounts/credentials.ts";
import { runAction } from "../enforce/run.ts";
import { LEASE_MS, actionStatus } from "../enforce/store.ts";
import { log } from "../util/log.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";

/** How a run of one action ended, for the shard's bookkeeping. */
export type RunOutcome =
  | { kind: "finished" }
  /** Gone from Postgres (the account deleted), or finished by another runner. */
  | { kind: "gone" }
  /** Let go to wait (the market closed, a backoff) until `until`. */
  | { kind: "waiting"; until: number }
  /** Another runner holds it, or the run stopped short: look again at `retryAt`. */
  | { kind: "busy"; retryAt: number }
  /** A database outage or another error: tried again after a backoff. */
  | { kind: "error"; error: unknown };

/** The shard's storage of held actions (store.ts). */
export interface EnforceQueue {
  enforceAdd(ids: readonly number[], at: number): void;
  enforceDue(now: number, limit: number): Array<{ id: number; failures: number }>;
  enforceSet(id: number, dueAt: number, failures: number): void;
  enforceDrop(id: number): void;
  enforceNext(): number | undefined;
  enforceCount(): number;
}

export interface EnforcerHost {
  now(): number;
  queue: EnforceQueue;
  /** Runs these actions (each on its own; one failing never stops the others). */
  run(ids: readonly number[]): Promise<Map<number, RunOutcome>>;
  /** Asks for a durable wake-up (the alarm) at `at`. */
  wakeAt(at: number): void;
  /** An action is finished (or gone): the shard no longer runs it. */
  onFinished?(actionId: number): void;
}

/** Most actions started in one go. */
const PER_KICK = 1_000;
/** Retry delays after an error (ms): 1 s doubling, capped at 30 s. */
export const ENFORCE_RETRY = { baseMs: 1_000, capMs: 30_000 };

export class LiveEnforcer {
  /** Actions running in this instance now (never started twice here). */
  private readonly running = new Set<number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly host: EnforcerHost;

  constructor(host: EnforcerHost) {
    this.host = host;
  }

  /** Committed actions of held accounts: kept, then run at once. */
  add(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    this.host.queue.enforceAdd(ids, this.host.now());
    return this.kick();
  }

  /** When the next held action is due (epoch ms); undefined when none is held. */
  nextDue(): number | undefined {
    return this.host.queue.enforceNext();
  }

  /** Actions held (running or waiting). */
  get size(): number {
    return this.host.queue.enforceCount();
  }

  /** Starts every due action not running here already; resolves when those runs end. */
  kick(): Promise<void> {
    const now = this.host.now();
    const due = this.host.queue
      .enforceDue(now, PER_KICK + this.running.size)
      .filter((a) => !this.running.has(a.id))
      .slice(0, PER_KICK);
    if (due.length === 0) return Promise.resolve();
    for (const a of due) {
      this.running.add(a.id);
      // Durable: evicted mid-run, the action is looked at again once its lease would expire.
      this.host.queue.enforceSet(a.id, now + LEASE_MS, a.failures);
    }
    const run = this.host
      .run(due.map((a) => a.id))
      .catch(
        (error: unknown) =>
          new Map<number, RunOutcome>(due.map((a) => [a.id, { kind: "error", error }])),
      )
      .then((outcomes) => {
        for (const a of due) this.settle(a.id, a.failures, outcomes.get(a.id));
      })
      .finally(() => {
        for (const a of due) this.running.delete(a.id);
        this.inflight.delete(run);
        const next = this.nextDue();
        if (next !== undefined) this.host.wakeAt(next);
      });
    this.inflight.add(run);
    return run;
  }

  /** Resolves when every run started so far has ended (tests, the benchmark). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private settle(id: number, failures: number, outcome: RunOutcome | undefined): void {
    const { queue } = this.host;
    const now = this.host.now();
    const o = outcome ?? { kind: "error", error: new Error("no outcome") };
    switch (o.kind) {
      case "finished":
      case "gone":
        queue.enforceDrop(id);
        this.host.onFinished?.(id);
        return;
      case "waiting":
        queue.enforceSet(id, o.until, 0);
        return;
      case "busy":
        queue.enforceSet(id, o.retryAt, failures);
        return;
      case "error": {
        const delay = Math.min(ENFORCE_RETRY.baseMs * 2 ** failures, ENFORCE_RETRY.capMs);
        queue.enforceSet(id, now + delay, failures + 1);
        log(
          "enforcement:shard_retry",
          { action_id: id, failures: failures + 1, retry_in_ms: delay },
          o.error,
        );
        return;
      }
    }
  }
}

/** What the shard's production runner needs of the env. */
export type ShardRunEnv = DbConfig & {
  MTAPI_URL: string;
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
};

/** Connections the runner's pool opens at most (Workers allow 6 per invocation). */
const POOL_MAX = 4;
/**
 * Actions driven at once. Each is claimed only when it starts, so a burst never holds leases
 * it cannot keep: unbounded, 200 actions at once shared 6 connections and their leases
 * expired between writes (docs/benchmarks/2026-12-06-enforcement-pm.md).
 */
export const RUN_CONCURRENCY = 8;

/**
 * The production `run`: one pool for the batch, every action claimed under `owner` (this
 * instance of the shard) and driven by src/enforce/run.ts.
 */
export function shardRunner(
  env: ShardRunEnv,
  owner: string,
  now: () => number = Date.now,
): (ids: readonly number[]) => Promise<Map<number, RunOutcome>> {
  return async (ids) => {
    const handle = openDb(env, Math.min(POOL_MAX, ids.length));
    const out = new Map<number, RunOutcome>();
    try {
      const sealKeys = await sealKeysOf(env);
      await mapWithConcurrency(ids, RUN_CONCURRENCY, async (id) => {
        try {
          let until = null as number | null;
          const state = await runAction(handle.db, id, {
            mtapiUrl: env.MTAPI_URL,
            sealKeys,
            owner,
            now,
            onRelease: (u) => (until = u),
          });
          if (state === null) {
            const status = await actionStatus(handle.db, id);
            if (status === null || status.finished) out.set(id, { kind: "gone" });
            else
              out.set(id, {
                kind: "busy",
                retryAt: Math.max(status.leaseUntil ?? 0, now() + ENFORCE_RETRY.baseMs),
              });
          } else if (isFinished(state)) out.set(id, { kind: "finished" });
          else if (until !== null) out.set(id, { kind: "waiting", until });
          else out.set(id, { kind: "busy", retryAt: now() + ENFORCE_RETRY.baseMs });
        } catch (error) {
          out.set(id, { kind: "error", error });
        }
      });
    } finally {
      await handle.close();
    }
    return out;
  };
}
