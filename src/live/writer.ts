/**
 * Write-behind from the live monitor to Postgres, off the per-event path. Violations and
 * state changes sit in the durable outbox until a batch containing them commits; figures of
 * live accounts are written every few seconds, with an equity reading at most every
 * READING_EVERY_MS per account. While the database is down the batch waits and retries with
 * backoff; the unique violation key makes a retried batch land each violation once.
 */
import type { AccountChange } from "../accounts/outcome.ts";
import { markProblems, writeChanges, type GuardedChange } from "../accounts/write-changes.ts";
import { openDb, type DbConfig } from "../db/client.ts";
import { log } from "../log.ts";
import { backoffDelay } from "./backoff.ts";
import type { MonitorStore } from "./store.ts";

/** Equity readings per live account are thinned to one per this many ms (plus state changes). */
export const READING_EVERY_MS = 5_000;
/** Most outbox entries and dirty accounts in one batch. */
const BATCH = 1_000;

export interface WriterHost {
  db: DbConfig;
  store: MonitorStore;
  now(): number;
  /** Current figures of the live accounts whose figures changed since the last write. */
  takeDirty(limit: number): AccountChange[];
  /** Puts back accounts whose write failed. */
  restoreDirty(accountIds: number[]): void;
  /** Whether an equity reading of this account is due (thinning); if so, counts it as written now. */
  readingDue(accountId: number, now: number): boolean;
  /** Asks for a wake-up (alarm) at `at` to retry. */
  wakeAt(at: number): void;
}

export class PostgresWriter {
  private running: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  /** Epoch ms before which no retry is attempted after a failure. */
  retryAt = 0;
  private readonly problems = new Map<number, string | null>();

  constructor(private readonly host: WriterHost) {}

  /** Queues a per-account problem mark (`session_expired`...) or clear (`null`). */
  problem(accountId: number, problem: string | null): void {
    this.problems.set(accountId, problem);
  }

  /** Starts a flush now, or after the running one (never two at once). */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** True while the last attempt failed and a retry is scheduled. */
  get failing(): boolean {
    return this.failures > 0;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const ok = await this.once();
      if (!ok) return;
    } while (this.again);
  }

  private async once(): Promise<boolean> {
    const { store, now } = this.host;
    const outbox = store.readOutbox(BATCH);
    const dirty = this.host.takeDirty(BATCH);
    const problems = [...this.problems].map(([accountId, problem]) => ({ accountId, problem }));
    this.problems.clear();
    if (outbox.length === 0 && dirty.length === 0 && problems.length === 0) return true;
    const t = now();
    const queued = new Set(outbox.map((e) => e.accountId));
    const batch: GuardedChange[] = [
      ...outbox.map((e) => ({ change: e.change, expectMonitoring: "live" as const })),
      ...dirty
        .filter((c) => !queued.has(c.accountId))
        .map((change) => ({ change, expectMonitoring: "live" as const })),
    ];
    const outboxIds = new Set(outbox.map((e) => e.change));
    const handle = openDb(this.host.db, 1);
    try {
      const result = await writeChanges(
        handle.db,
        batch,
        (c) => outboxIds.has(c) || this.host.readingDue(c.accountId, t),
      );
      await markProblems(handle.db, problems);
      if (outbox.length) store.ackOutbox(outbox[outbox.length - 1]!.seq);
      for (const v of result.recorded) {
        log("violation:recorded", {
          account_id: v.accountId,
          rule: v.rule,
          period: v.period,
          source: "event",
        });
      }
      if (this.failures > 0) log("db:recovered", { after_failures: this.failures });
      this.failures = 0;
      this.retryAt = 0;
      return true;
    } catch (err) {
      this.host.restoreDirty(dirty.map((c) => c.accountId));
      for (const p of problems)
        if (!this.problems.has(p.accountId)) this.problems.set(p.accountId, p.problem);
      const delay = backoffDelay(this.failures, { baseMs: 1_000, capMs: 30_000 });
      this.failures++;
      this.retryAt = t + Math.max(250, delay);
      this.host.wakeAt(this.retryAt);
      log(
        "db:flush_failed",
        { pending: store.outboxSize(), failures: this.failures, retry_in_ms: this.retryAt - t },
        err,
      );
      return false;
    } finally {
      await handle.close();
    }
  }
}
