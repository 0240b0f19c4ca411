/**
 * Event lag: how old an event is when the monitor applies it (receive clock minus the event's
 * own timestamp, ms), over the last WINDOW timestamped events. Cheap on the event path (one
 * store into a ring); percentiles are computed only when the status is read.
 */
const WINDOW = 4096;

export interface LagFigures {
  /** Samples in the window. */
  samples: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export class LagWindow {
  private readonly ring = new Float64Array(WINDOW);
  private count = 0;

  record(lagMs: number): void {
    this.ring[this.count % WINDOW] = lagMs;
    this.count++;
  }

  figures(): LagFigures {
    const n = Math.min(this.count, WINDOW);
    if (n === 0) return { samples: 0, p50_ms: null, p99_ms: null, max_ms: null };
    const sorted = this.ring.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { samples: n, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: sorted[n - 1]! };
  }
}
