/**
 * Write-behind from the live monitor to Postgres, off the per-event path. Violations and
 * state changes sit in the durable outbox until a batch containing them commits; the figures
 * of live accounts are marked dirty here and written every METRICS_FLUSH_MS, with an equity
 * reading at most every READING_EVERY_MS per account. While the database is down the batch
 * waits and retries with backoff (the retry gate); the unique violation key makes a retried
 * batch land each violation once.
 *
 * The writer owns its bookkeeping (the dirty set, the reading clock per account, the retry
 * gate); the monitor tells it what changed and asks `flushIfDue(now)` when woken.
 */
import { figuresChange, type AccountChange } from "../domain/outcome.ts";
import { logRecorded, type GuardedChange, type WriteResult } from "../accounts/write-changes.ts";
import { errorMessage, writeFailure } from "../db/errors.ts";
import { log } from "../util/log.ts";
import { copyState, type ReadingSource, type RiskState, type RuleParams } from "../risk/index.ts";
import { backoffDelay } from "./core/backoff.ts";
import { WriteBacklog, type ProblemMark } from "./core/write-backlog.ts";

export { METRICS_FLUSH_MS, READING_EVERY_MS, type ProblemMark } from "./core/write-backlog.ts";
/** Most outbox entries and dirty accounts in one batch. */
const BATCH = 1_000;
/** Retry delays after a failed batch (ms): capped exponential backoff, at least 250 ms. */
export const WRITER_RETRY = { baseMs: 1_000, capMs: 30_000, minMs: 250 };

/** One batch for the database: guarded changes, which of them leave a reading, problems. */
export interface WriteBatch {
  changes: GuardedChange[];
  readingsFor: (change: AccountChange) => boolean;
  problems: ProblemMark[];
}

/** A queued change for Postgres. */
export interface OutboxEntry {
  seq: number;
  accountId: number;
  change: AccountChange;
  createdAt: number;
}

/** The durable outbox as the writer uses it (store.ts). */
export interface WriterOutbox {
  readOutbox(limit: number): OutboxEntry[];
  /** Drops the entries up to and including `seq`. */
  ackOutbox(seq: number): void;
  /** Drops one entry. */
  ackOutboxEntry(seq: number): void;
  /** Sets an entry aside as a dead letter, with its error. */
  deadLetter(entry: OutboxEntry, error: string, at: number): void;
  outboxSize(): number;
}

/** What the writer needs from its owner; tests give a fake one (no Durable Object). */
export interface WriterHost {
  now(): number;
  outbox: WriterOutbox;
  /** The rules and state of a live account; undefined once it is no longer subscribed. */
  current(accountId: number): { rules: RuleParams; risk: RiskState | null } | undefined;
  /** Writes one batch in one transaction. */
  write(batch: WriteBatch): Promise<WriteResult>;
  /** Asks for a durable wake-up (the alarm) at `at`, epoch ms, to retry. */
  wakeAt(at: number): void;
  /** Outbox entries of these accounts are done (landed, account gone, or set aside). */
  onAcked?(accountIds: number[]): void;
  /**
   * Enforcement actions a committed batch created (docs/enforcement.md, "Execution"): the
   * shard runs them at once (enforcer.ts).
   */
  onActions?(actions: WriteResult["actions"]): void;
  /** Retry delays after a failed batch (ms); WRITER_RETRY when absent (tests lengthen it). */
  retry?(): typeof WRITER_RETRY;
}

/**
 * A flush still running after this long is abandoned (ms), so the next wake-up writes again.
 * Its promise can stay pending for ever: an uncaught socket error in the object tears down
 * the invocation that started it, and the write's own deadline (postgres-write.ts), a timer
 * of that invocation, never fires. Seen in `npm run chaos` (docs/never-blind.md).
 */
export const WRITE_STALL_MS = 60_000;

export class PostgresWriter {
  private running: Promise<void> | null = null;
  /** Epoch ms the running flush started. */
  private runningSince = 0;
  private again = false;
  private failures = 0;
  /** Epoch ms before which no retry is attempted after a failure. */
  private retryAt = 0;
  /** Dirty figures, reading clocks and problem marks (core/write-backlog.ts). */
  private readonly backlog = new WriteBacklog();

  private readonly host: WriterHost;

  constructor(host: WriterHost) {
    this.host = host;
  }

  /**
   * Notes that an account's figures changed (written with the next batch); returns when that
   * batch is due (epoch ms).
   * @param source where the new figures came from; omitted, the last one stands.
   */
  markDirty(accountId: number, now: number, source?: ReadingSource): number {
    return this.backlog.markDirty(accountId, now, source);
  }

  /** Forgets an account that is no longer live (its last change went through the outbox). */
  forget(accountId: number): void {
    this.backlog.forget(accountId);
  }

  /** The accounts whose figures Postgres has not seen yet. */
  dirtyIds(): IterableIterator<number> {
    return this.backlog.dirtyIds();
  }

  /** Queues a per-account problem mark (`session_expired`...) or clear (`null`). */
  problem(accountId: number, problem: string | null): void {
    this.backlog.problem(accountId, problem);
  }

  /** True while the last attempt failed and a retry is scheduled. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** Epoch ms of the next retry while failing; undefined otherwise. */
  retryDue(): number | undefined {
    return this.failing ? this.retryAt : undefined;
  }

  /**
   * When a flush is due (epoch ms), or undefined when there is nothing to write: at once for
   * outbox entries and problem marks, METRICS_FLUSH_MS after the oldest dirty figures; never
   * before the retry gate opens.
   */
  dueAt(): number | undefined {
    let due: number | undefined;
    if (this.backlog.problemCount > 0 || this.host.outbox.outboxSize() > 0) due = 0;
    else due = this.backlog.figuresDueAt();
    if (due === undefined) return undefined;
    return this.failing ? Math.max(due, this.retryAt) : due;
  }

  /** Flushes when something is due by `now` (epoch ms); the one place the retry gate is read. */
  flushIfDue(now: number): Promise<void> {
    this.abandonStalled(now);
    const due = this.dueAt();
    if (due === undefined || now < due) return this.running ?? Promise.resolve();
    return this.flush();
  }

  /** Starts a flush now whatever is due, or after the running one (never two at once). */
  flush(): Promise<void> {
    this.abandonStalled(this.host.now());
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.runningSince = this.host.now();
    const run: Promise<void> = this.loop().finally(() => {
      // An abandoned flush that ends after all must not clear its successor.
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  /**
   * Forgets a flush running for WRITE_STALL_MS or more. What it took stays in the durable
   * outbox (acknowledged only on commit) and is written by the next flush; the guarded,
   * idempotent write (a violation lands once) makes a late commit of the old one harmless.
   */
  private abandonStalled(now: number): void {
    if (!this.running || now - this.runningSince < WRITE_STALL_MS) return;
    log("monitor:flush_abandoned", {
      running_ms: now - this.runningSince,
      pending: this.host.outbox.outboxSize(),
    });
    this.running = null;
    this.again = false;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const ok = await this.once();
      if (!ok) return;
    } while (this.again);
  }

  /** Takes up to `limit` dirty accounts as figure changes (the rest stay dirty). */
  private takeDirty(limit: number): AccountChange[] {
    const out: AccountChange[] = [];
    for (const { accountId, source } of this.backlog.takeDirty(limit)) {
      const sub = this.host.current(accountId);
      // A copy: events keep moving the held state in place while the batch is written.
      if (sub?.risk) out.push(figuresChange(accountId, sub.rules, copyState(sub.risk), source));
    }
    return out;
  }

  /** Marks figures held back behind an outbox entry of their account dirty again. */
  private markLater(changes: readonly AccountChange[], now: number): void {
    let due: number | undefined;
    for (const c of changes) due = this.backlog.markDirty(c.accountId, now);
    if (due !== undefined) this.host.wakeAt(due);
  }

  /** Whether an equity reading of this live account is due (thinning); if so, counts it now. */
  private readingDue(accountId: number, now: number): boolean {
    return this.host.current(accountId) !== undefined && this.backlog.readingDue(accountId, now);
  }

  private async once(): Promise<boolean> {
    const { outbox, now } = this.host;
    const since = this.backlog.since;
    const queued = outbox.readOutbox(BATCH);
    const dirty = this.takeDirty(BATCH);
    const problems = this.backlog.takeProblems();
    if (queued.length === 0 && dirty.length === 0 && problems.length === 0) return true;
    const t = now();
    const inOutbox = new Set(queued.map((e) => e.accountId));
    // Figures newer than an outbox entry of the same account wait for the next batch (one
    // update per account and batch: the outbox entry's own fields must land first).
    const later = dirty.filter((c) => inOutbox.has(c.accountId));
    const changes: GuardedChange[] = [
      ...queued.map((e) => ({ change: e.change, expectMonitoring: "live" as const })),
      ...dirty
        .filter((c) => !inOutbox.has(c.accountId))
        .map((change) => ({ change, expectMonitoring: "live" as const })),
    ];
    const fromOutbox = new Set(queued.map((e) => e.change));
    try {
      const result = await this.host.write({
        changes,
        readingsFor: (c) => fromOutbox.has(c) || this.readingDue(c.accountId, t),
        problems,
      });
      this.backlog.written(problems);
      this.markLater(later, t);
      // Before the accounts are released: a locked one stays watched (lock-watch.ts).
      this.actionsOf(result);
      if (queued.length) {
        outbox.ackOutbox(queued[queued.length - 1]!.seq);
        this.host.onAcked?.(queued.map((e) => e.accountId));
      }
      logRecorded(result.recorded, "event");
      return this.recovered();
    } catch (err) {
      // The database answered, so some entry may be bad: one by one, so the rest go on.
      if (queued.length > 0 && writeFailure(err) !== "outage")
        return this.oneByOne(queued, dirty, since ?? t, problems, t);
      return this.failed(err, dirty, since ?? t, problems, t);
    }
  }

  /**
   * Writes outbox entries one at a time after a batch failed for a reason of its own: an
   * entry whose account is gone is done; one that fails for its own reason becomes a dead
   * letter; an outage stops the round (all is retried later). Then the figures and problems.
   */
  private async oneByOne(
    queued: readonly OutboxEntry[],
    dirty: AccountChange[],
    since: number,
    problems: ProblemMark[],
    t: number,
  ): Promise<boolean> {
    const { outbox } = this.host;
    for (const entry of queued) {
      const result = await this.writeOne(entry.change);
      const kind = result.ok ? "landed" : writeFailure(result.error);
      if (!result.ok && kind === "outage")
        return this.failed(result.error, dirty, since, problems, t);
      if (!result.ok && kind === "bad_write") {
        const error = errorMessage(result.error);
        outbox.deadLetter(entry, error, this.host.now());
        log("monitor:dead_letter", { account_id: entry.accountId, seq: entry.seq, error });
      } else {
        if (kind === "account_gone") log("monitor:account_gone", { account_id: entry.accountId });
        outbox.ackOutboxEntry(entry.seq);
      }
      this.host.onAcked?.([entry.accountId]);
    }
    const queuedIds = new Set(queued.map((e) => e.accountId));
    const rest = dirty.filter((c) => !queuedIds.has(c.accountId));
    this.markLater(
      dirty.filter((c) => queuedIds.has(c.accountId)),
      t,
    );
    if (rest.length === 0 && problems.length === 0) return this.recovered();
    try {
      this.actionsOf(
        await this.host.write({
          changes: rest.map((change) => ({ change, expectMonitoring: "live" as const })),
          readingsFor: (c) => this.readingDue(c.accountId, t),
          problems,
        }),
      );
      this.backlog.written(problems);
      return this.recovered();
    } catch (err) {
      return this.failed(err, rest, since, problems, t);
    }
  }

  /**
   * Writes one outbox change alone (the per-entry retry, and an operator's retry of a dead
   * letter); logs the violations it records.
   */
  async writeOne(change: AccountChange): Promise<{ ok: true } | { ok: false; error: unknown }> {
    try {
      const result = await this.host.write({
        changes: [{ change, expectMonitoring: "live" }],
        readingsFor: () => true,
        problems: [],
      });
      logRecorded(result.recorded, "event");
      this.actionsOf(result);
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Hands a committed write's enforcement actions on (never failing the write). */
  private actionsOf(result: WriteResult): void {
    if (!result.actions?.length || !this.host.onActions) return;
    try {
      this.host.onActions(result.actions);
    } catch (err) {
      // Left to the cron's pass over due actions (the rows are committed).
      log("enforcement:run_failed", { actions: result.actions.length }, err);
    }
  }

  private recovered(): true {
    if (this.failures > 0) log("db:recovered", { after_failures: this.failures });
    this.failures = 0;
    this.retryAt = 0;
    return true;
  }

  /** After a failed write: keeps what it took, and schedules a retry with backoff. */
  private failed(
    err: unknown,
    dirty: readonly AccountChange[],
    since: number,
    problems: readonly ProblemMark[],
    t: number,
  ): false {
    this.backlog.restore(
      dirty.map((c) => c.accountId),
      since,
      problems,
    );
    const retry = this.host.retry?.() ?? WRITER_RETRY;
    const delay = backoffDelay(this.failures, retry);
    this.failures++;
    this.retryAt = t + Math.max(retry.minMs, delay);
    this.host.wakeAt(this.retryAt);
    log(
      "db:flush_failed",
      {
        pending: this.host.outbox.outboxSize(),
        failures: this.failures,
        retry_in_ms: this.retryAt - t,
      },
      err,
    );
    return false;
  }
}
