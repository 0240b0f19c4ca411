/**
 * Fixed-window request counters for the shared endpoints' limits (shared-limit.ts), and where
 * a shared path carries its token. Imports nothing, so Node tests use it as is.
 */

const MAX_TRACKED = 10_000;

/** The token of a shared path (`/t/<token>`, `/v1/shared/<token>/...`), or "". */
export function tokenOfPath(path: string): string {
  const m = /^\/(?:t|v1\/shared)\/([^/]*)/.exec(path);
  return m ? m[1]! : "";
}

/** Counts per key in fixed windows; at most 10,000 keys are kept (expired ones go first). */
export class WindowCounter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** `limit` per key and window of `windowMs` ms. */
  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** The count of `key` in its window at `now` (0 once expired). */
  count(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) return 0;
    return w.count;
  }

  /** True when `key` has used its allowance at `now`. */
  full(key: string, now: number): boolean {
    return this.count(key, now) >= this.limit;
  }

  /** Counts one for `key` at `now`. */
  add(key: string, now: number): void {
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) {
      w.count++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED) {
      for (const [k, v] of this.windows) if (now - v.start >= this.windowMs) this.windows.delete(k);
      if (this.windows.size >= MAX_TRACKED) this.windows.delete(this.windows.keys().next().value!);
    }
    this.windows.set(key, { start: now, count: 1 });
  }

  /** Seconds until `key`'s window ends at `now` (at least 1). */
  retryAfterS(key: string, now: number): number {
    const w = this.windows.get(key);
    return w ? Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) : 1;
  }

  /** Forgets every key (tests). */
  clear(): void {
    this.windows.clear();
  }
}
