/**
 * Which live accounts' stored risk state is behind the one in memory, and how much of it is
 * rewritten per tick. Only the bare figures (equity, balance, reading time) ever fall behind:
 * whatever the next reading depends on is saved at once (the engine's `memory_moved`,
 * event-path.ts), and
 * the figures reach Postgres with the writer's batch. So rewriting them to the object's own
 * storage is a refresh, not a safeguard, and it is bounded: at most `PERSIST_ROWS_PER_TICK`
 * rows per heartbeat (the alarm, every 30 s), oldest first, instead of every dirty account
 * every 2 s (the 30-87 ms stalls of a 10,000-row transaction, docs/benchmarks/2026-11-26-full-run.md, "Events"). The
 * bound is also a cost: each row is a billed SQLite row written, ~3 rows/s per monitor at most.
 * Pure.
 */

/** Most risk rows rewritten to storage in one tick. */
export const PERSIST_ROWS_PER_TICK = 100;

/** Rows rewritten per tick, as `GET /v1/monitor` shows them. */
export interface PersistFigures {
  /** Rows written by the last tick. */
  last: number;
  /** Most rows written by one tick since the object started. */
  max: number;
  /** Accounts whose stored figures are behind memory now. */
  backlog: number;
}

export class PersistBacklog {
  /** In marking order: a Set keeps first insertion, so the longest-behind go first. */
  private readonly ids = new Set<number>();
  private last = 0;
  private max = 0;

  /** Notes that an account's stored figures are behind memory. */
  mark(accountId: number): void {
    this.ids.add(accountId);
  }

  /** The account's state was just saved in full, or it is gone: nothing is behind. */
  forget(accountId: number): void {
    this.ids.delete(accountId);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Takes (and forgets) at most `limit` accounts, longest behind first; counts them as one tick. */
  take(limit = PERSIST_ROWS_PER_TICK): number[] {
    const out: number[] = [];
    for (const id of this.ids) {
      if (out.length >= limit) break;
      out.push(id);
    }
    for (const id of out) this.ids.delete(id);
    this.last = out.length;
    if (out.length > this.max) this.max = out.length;
    return out;
  }

  figures(): PersistFigures {
    return { last: this.last, max: this.max, backlog: this.ids.size };
  }
}
