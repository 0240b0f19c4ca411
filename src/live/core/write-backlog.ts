/**
 * The writer's bookkeeping, pure: which live accounts' figures Postgres has not seen yet
 * (and since when), where each one's latest figures came from, when each last left an equity
 * reading (thinning), and the per-account problem marks waiting to be written. The writer
 * (../writer.ts) takes from it for a batch and puts back what a failed batch took.
 */
import type { ReadingSource } from "../../risk/index.ts";

/** Figures of live accounts are written to Postgres this often (ms). */
export const METRICS_FLUSH_MS = 2_000;
/** Equity readings per live account are thinned to one per this many ms (plus state changes). */
export const READING_EVERY_MS = 5_000;

/** A per-account problem mark (`session_expired`...) or, with `null`, its clearing. */
export interface ProblemMark {
  accountId: number;
  problem: string | null;
}

/** A dirty account taken for a batch, with where its figures came from. */
export interface DirtyFigures {
  accountId: number;
  source: ReadingSource;
}

export class WriteBacklog {
  /**
   * Accounts whose figures changed since the last write, oldest mark first, each with the
   * source of its latest figures given since (undefined: none given, `lastSource` stands).
   * One map write per event: the source is folded into `lastSource` when the figures are taken.
   */
  private readonly dirty = new Map<number, ReadingSource | undefined>();
  /** Where each live account's applied figures came from, as of their last take. */
  private readonly lastSource = new Map<number, ReadingSource>();
  /** Epoch ms the oldest entry of `dirty` was marked; null when it is empty. */
  private dirtySince: number | null = null;
  /** Epoch ms of the last equity reading written per account. */
  private readonly lastReadingAt = new Map<number, number>();
  private readonly problems = new Map<number, string | null>();
  /**
   * Accounts whose cleared problem Postgres has already taken: a clear for them is not sent
   * again (every successful re-read clears; without this, each one wrote a row).
   */
  private readonly clean = new Set<number>();

  /**
   * Notes that an account's figures changed; returns when they are due (epoch ms).
   * @param source where the new figures came from; omitted, the last one stands.
   */
  markDirty(accountId: number, now: number, source?: ReadingSource): number {
    if (source) this.dirty.set(accountId, source);
    else if (!this.dirty.has(accountId)) this.dirty.set(accountId, undefined);
    if (this.dirtySince === null) this.dirtySince = now;
    return this.dirtySince + METRICS_FLUSH_MS;
  }

  /** Forgets an account that is no longer live. */
  forget(accountId: number): void {
    this.dirty.delete(accountId);
    this.lastSource.delete(accountId);
    this.lastReadingAt.delete(accountId);
    this.clean.delete(accountId);
  }

  dirtyIds(): IterableIterator<number> {
    return this.dirty.keys();
  }

  /** Epoch ms the oldest dirty figures were marked, or null. */
  get since(): number | null {
    return this.dirtySince;
  }

  /**
   * Queues a problem mark (`null` clears); the newest per account wins. A clear of an account
   * already written clean (since this object started) is dropped.
   */
  problem(accountId: number, problem: string | null): void {
    if (problem === null && this.clean.has(accountId) && !this.problems.has(accountId)) return;
    if (problem !== null) this.clean.delete(accountId);
    this.problems.set(accountId, problem);
  }

  /** Notes the problem marks a batch wrote: the cleared accounts are clean from now on. */
  written(problems: readonly ProblemMark[]): void {
    for (const p of problems) if (p.problem === null) this.clean.add(p.accountId);
  }

  get problemCount(): number {
    return this.problems.size;
  }

  /** When the dirty figures are due (epoch ms), or undefined when none are. */
  figuresDueAt(): number | undefined {
    return this.dirtySince === null ? undefined : this.dirtySince + METRICS_FLUSH_MS;
  }

  /** Takes up to `limit` dirty accounts, oldest first (the rest stay dirty). */
  takeDirty(limit: number): DirtyFigures[] {
    const out: DirtyFigures[] = [];
    for (const [accountId, given] of this.dirty) {
      if (out.length >= limit) break;
      if (given) this.lastSource.set(accountId, given);
      out.push({ accountId, source: given ?? this.lastSource.get(accountId) ?? "poll" });
    }
    for (const d of out) this.dirty.delete(d.accountId);
    if (this.dirty.size === 0) this.dirtySince = null;
    return out;
  }

  /** Takes every queued problem mark. */
  takeProblems(): ProblemMark[] {
    const out = [...this.problems].map(([accountId, problem]) => ({ accountId, problem }));
    this.problems.clear();
    return out;
  }

  /** Whether an equity reading of the account is due at `now` (thinning); if so, counts it. */
  readingDue(accountId: number, now: number): boolean {
    if (now - (this.lastReadingAt.get(accountId) ?? 0) < READING_EVERY_MS) return false;
    this.lastReadingAt.set(accountId, now);
    return true;
  }

  /** Puts back what a failed batch took, without overwriting what changed meanwhile. */
  restore(accountIds: Iterable<number>, since: number, problems: readonly ProblemMark[]): void {
    for (const id of accountIds) if (!this.dirty.has(id)) this.dirty.set(id, undefined);
    if (this.dirty.size > 0) this.dirtySince = Math.min(this.dirtySince ?? since, since);
    for (const p of problems)
      if (!this.problems.has(p.accountId)) this.problems.set(p.accountId, p.problem);
  }
}
