/**
 * REFERENCE (tests only): the server-time judgement as it was before the event path got its
 * allocation-free form (src/live/core/server-time.ts `correction`); server-time.test.ts checks
 * the two agree on random sequences. Not imported by src.
 *
 * Server-time stamps (docs/mtapi-bridge.md, "Server-time stamps"), pure: some feeds stamp
 * events in the broker's server time (UTC+2/+3 with daylight saving) instead of UTC, so every
 * event looks hours ahead. A stamp that sits a whole number of quarter hours ahead of the
 * receive time (within SLACK_MS) is read as such (one behind may be a genuine late event); once STEADY_SAMPLES stamps of one server in
 * a row agree on the offset it is learnt, and that server's stamps are corrected by it. A new
 * offset that holds as steadily (a daylight-saving change) replaces it. A stamp at an offset
 * still being learnt is set aside; one that is off in no steady way is not corrected: the
 * caller judges it as it is (far ahead or behind: `invalid`).
 */

/** A quarter hour (ms): server offsets are whole quarter hours. */
export const QUARTER_MS = 15 * 60_000;
/** How far a stamp may sit from a whole quarter-hour offset of the receive time (ms). */
export const SLACK_MS = 60_000;
/** Stamps in a row that must agree before an offset is learnt or replaced. */
export const STEADY_SAMPLES = 2;
/** The widest offset a server may have (UTC+14). */
const MAX_OFFSET_MS = 14 * 3_600_000;

interface ServerClock {
  /** The learnt offset (ms, a whole number of quarter hours); 0 until one is learnt. */
  offsetMs: number;
  /** A different offset being seen, and how many stamps in a row showed it. */
  candidateMs: number;
  seen: number;
}

export type StampVerdict =
  /** UTC as it is (offset 0): use the stamp unchanged. */
  | { kind: "utc" }
  /** Server time at a learnt offset: use `ts`, the stamp in UTC. */
  | { kind: "corrected"; ts: number; offsetMs: number }
  /** A quarter-hour offset seen, not yet steady: set aside (`invalid`) while it is learnt. */
  | { kind: "learning"; offsetMs: number }
  /** Off in no steady way: the stamp stays as it is, and is judged as such. */
  | { kind: "unsteady" };

export class ServerClocks {
  private readonly byServer = new Map<string, ServerClock>();

  /** The learnt offset of a server (ms), 0 when none. */
  offsetOf(server: string): number {
    return this.byServer.get(server)?.offsetMs ?? 0;
  }

  /**
   * Reads one stamp of `server` received at `now` (both epoch ms) and learns from it.
   */
  judge(server: string, ts: number, now: number): StampVerdict {
    if (!Number.isFinite(ts)) return { kind: "unsteady" };
    const raw = ts - now;
    const quarters = Math.round(raw / QUARTER_MS);
    const offset = quarters * QUARTER_MS;
    const residual = raw - offset;
    const clock = this.byServer.get(server);
    // Only stamps ahead of the receive time are read as server time: a stamp behind it may be
    // a genuine late event (applied by the reading-time rules), one ahead never is.
    if (Math.abs(residual) > SLACK_MS || offset < 0 || offset > MAX_OFFSET_MS) {
      if (clock) clock.seen = 0;
      return { kind: "unsteady" };
    }
    if (offset === 0) {
      // A UTC stamp: nothing to learn; a candidate in progress is broken off.
      if (clock) clock.seen = 0;
      return { kind: "utc" };
    }
    const c = clock ?? { offsetMs: 0, candidateMs: 0, seen: 0 };
    if (!clock) this.byServer.set(server, c);
    if (c.offsetMs === offset) {
      c.seen = 0;
      return { kind: "corrected", ts: ts - offset, offsetMs: offset };
    }
    c.seen = c.candidateMs === offset ? c.seen + 1 : 1;
    c.candidateMs = offset;
    if (c.seen < STEADY_SAMPLES) return { kind: "learning", offsetMs: offset };
    // Steady: learnt (or re-learnt after a daylight-saving change).
    c.offsetMs = offset;
    c.seen = 0;
    return { kind: "corrected", ts: ts - offset, offsetMs: offset };
  }

  /** The learnt offsets, for the monitor's status (minutes by server). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [server, c] of this.byServer)
      if (c.offsetMs !== 0) out[server] = c.offsetMs / 60_000;
    return out;
  }
}
