/**
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
  | { readonly kind: "utc" }
  /** Server time at a learnt offset: use `ts`, the stamp in UTC. */
  | { readonly kind: "corrected"; readonly ts: number; readonly offsetMs: number }
  /** A quarter-hour offset seen, not yet steady: set aside (`invalid`) while it is learnt. */
  | { readonly kind: "learning"; readonly offsetMs: number }
  /** Off in no steady way: the stamp stays as it is, and is judged as such. */
  | { readonly kind: "unsteady" };

const UTC: StampVerdict = Object.freeze({ kind: "utc" });
const UNSTEADY: StampVerdict = Object.freeze({ kind: "unsteady" });
/** `read`'s answer for a stamp off in no steady way (an offset is never negative). */
const UNSTEADY_CODE = -1;
/** `read`'s answer for a stamp at an offset still being learnt (`learningMs` holds it). */
const LEARNING_CODE = -2;
/** `correction`'s answer while the stamp's offset is being learnt. */
export const LEARNING = -1;

export class ServerClocks {
  private readonly byServer = new Map<string, ServerClock>();
  /** The offset of the last `read` that answered LEARNING_CODE. */
  private learningMs = 0;

  /** The learnt offset of a server (ms), 0 when none. */
  offsetOf(server: string): number {
    return this.byServer.get(server)?.offsetMs ?? 0;
  }

  /**
   * Reads one stamp of `server` received at `now` (both epoch ms) and learns from it.
   */
  judge(server: string, ts: number, now: number): StampVerdict {
    const code = this.read(server, ts, now);
    if (code === UNSTEADY_CODE) return UNSTEADY;
    if (code === LEARNING_CODE) return { kind: "learning", offsetMs: this.learningMs };
    if (code === 0) return UTC;
    return { kind: "corrected", ts: ts - code, offsetMs: code };
  }

  /**
   * The event path's form of `judge` (same reading, same learning), without a verdict object
   * per event: the offset to take off the stamp (ms; 0 for a UTC or unsteady stamp, which
   * stays as it is), or LEARNING while the stamp's offset is being learnt (set it aside).
   */
  correction(server: string, ts: number, now: number): number {
    const code = this.read(server, ts, now);
    if (code === LEARNING_CODE) return LEARNING;
    return code === UNSTEADY_CODE ? 0 : code;
  }

  /**
   * The judgement: the learnt offset by which the stamp is corrected (ms, > 0), 0 for a UTC
   * stamp, UNSTEADY_CODE or LEARNING_CODE.
   */
  private read(server: string, ts: number, now: number): number {
    const raw = ts - now;
    // The common case first: a UTC stamp within SLACK_MS of the receive time is offset 0 (the
    // nearest quarter hour is 0, the residual within the slack). NaN fails both comparisons.
    if (raw <= SLACK_MS && raw >= -SLACK_MS) {
      // Nothing to learn; a candidate in progress is broken off.
      if (this.byServer.size !== 0) {
        const clock = this.byServer.get(server);
        if (clock) clock.seen = 0;
      }
      return 0;
    }
    if (!Number.isFinite(ts)) return UNSTEADY_CODE;
    const quarters = Math.round(raw / QUARTER_MS);
    const offset = quarters * QUARTER_MS;
    const residual = raw - offset;
    const clock = this.byServer.get(server);
    // Only stamps ahead of the receive time are read as server time: a stamp behind it may be
    // a genuine late event (applied by the reading-time rules), one ahead never is.
    if (Math.abs(residual) > SLACK_MS || offset < 0 || offset > MAX_OFFSET_MS) {
      if (clock) clock.seen = 0;
      return UNSTEADY_CODE;
    }
    if (offset === 0) {
      // A UTC stamp: nothing to learn; a candidate in progress is broken off.
      if (clock) clock.seen = 0;
      return 0;
    }
    const c = clock ?? { offsetMs: 0, candidateMs: 0, seen: 0 };
    if (!clock) this.byServer.set(server, c);
    if (c.offsetMs === offset) {
      c.seen = 0;
      return offset;
    }
    c.seen = c.candidateMs === offset ? c.seen + 1 : 1;
    c.candidateMs = offset;
    if (c.seen < STEADY_SAMPLES) {
      this.learningMs = offset;
      return LEARNING_CODE;
    }
    // Steady: learnt (or re-learnt after a daylight-saving change).
    c.offsetMs = offset;
    c.seen = 0;
    return offset;
  }

  /** The learnt offsets, for the monitor's status (minutes by server). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [server, c] of this.byServer)
      if (c.offsetMs !== 0) out[server] = c.offsetMs / 60_000;
    return out;
  }
}
