/**
 * Flood mode, for benchmarks: stream events for subscribed accounts as fast as each
 * connection drains (or at a set rate), `eventsPerFrame` per frame, each event stamped
 * with its send time in `timestampUTC` (epoch ms).
 */
import type { AccountBook, SimAccount } from "./accounts.ts";
import { encodeEvent, type Shape } from "./events.ts";
import type { Connection, Hub } from "./hub.ts";

export interface FloodRequest {
  /** Events per frame; 1 sends single objects, more sends JSON arrays. */
  eventsPerFrame: number;
  durationMs: number;
  /** Only these sessions (default: every subscribed session the book knows). */
  sessionIds?: string[] | undefined;
  /** Cap in events per second per connection (default: as fast as the socket drains). */
  rate?: number | undefined;
  /** Event shape; default `full`. */
  shape?: Shape | undefined;
  /** Send binary frames. */
  binary?: boolean | undefined;
}

export interface FloodResult {
  frames: number;
  events: number;
  /** Wall time of the flood, ms. */
  duration_ms: number;
  connections: number;
}

/** Frames handed to ws but not yet written to the socket, per connection. */
const MAX_IN_FLIGHT = 32;
/** Bytes queued in ws above which sending waits for the socket to drain. */
const HIGH_WATER = 1 << 20;
/** Frames sent in one go before yielding to the event loop. */
const FRAMES_PER_TURN = 64;

/** Runs a flood over every connection at once; resolves when `durationMs` has passed. */
export async function flood(hub: Hub, book: AccountBook, req: FloodRequest): Promise<FloodResult> {
  const only = req.sessionIds === undefined ? undefined : new Set(req.sessionIds);
  const started = Date.now();
  const deadline = started + req.durationMs;
  const jobs: Promise<{ frames: number; events: number }>[] = [];
  for (const conn of hub.connections()) {
    const accounts = [...conn.subs]
      .filter((id) => only === undefined || only.has(id))
      .map((id) => book.get(id))
      .filter((a): a is SimAccount => a !== undefined);
    if (accounts.length > 0) jobs.push(pump(hub, conn, accounts, req, started, deadline));
  }
  const results = await Promise.all(jobs);
  return {
    frames: results.reduce((s, r) => s + r.frames, 0),
    events: results.reduce((s, r) => s + r.events, 0),
    duration_ms: Date.now() - started,
    connections: jobs.length,
  };
}

function pump(
  hub: Hub,
  conn: Connection,
  accounts: SimAccount[],
  req: FloodRequest,
  started: number,
  deadline: number,
): Promise<{ frames: number; events: number }> {
  const perFrame = Math.max(1, Math.floor(req.eventsPerFrame));
  return new Promise((resolve) => {
    let frames = 0;
    let events = 0;
    let inFlight = 0;
    let next = 0;
    let scheduled = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(endTimer);
      conn.ws.off("close", finish);
      resolve({ frames, events });
    };
    const endTimer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    conn.ws.once("close", finish);
    const later = (ms: number) => {
      if (scheduled) return;
      scheduled = true;
      const run = () => {
        scheduled = false;
        send();
      };
      if (ms > 0) setTimeout(run, ms);
      else setImmediate(run);
    };
    const send = () => {
      for (let turn = 0; turn < FRAMES_PER_TURN; turn++) {
        const now = Date.now();
        if (finished || !conn.open || now >= deadline) return finish();
        // Backpressure: resumed by a write callback.
        if (inFlight >= MAX_IN_FLIGHT || conn.ws.bufferedAmount >= HIGH_WATER) return;
        if (req.rate !== undefined && req.rate > 0) {
          const allowed = (req.rate * (now - started)) / 1000 + perFrame;
          if (events + perFrame > allowed) return later(Math.ceil((1000 * perFrame) / req.rate));
        }
        const batch = [];
        for (let i = 0; i < perFrame; i++) {
          const account = accounts[next++ % accounts.length] as SimAccount;
          batch.push({ ...encodeEvent(req.shape ?? "full", account, now), timestampUTC: now });
        }
        const text = JSON.stringify(perFrame === 1 ? batch[0] : batch);
        inFlight += 1;
        const ok = hub.send(conn, req.binary ? Buffer.from(text, "utf8") : text, perFrame, () => {
          inFlight -= 1;
          later(0);
        });
        if (!ok) return finish();
        frames += 1;
        events += perFrame;
      }
      later(0);
    };
    send();
  });
}
