/**
 * Fan-out of account events: each event goes to every connection subscribed to its
 * account; per connection, pending events are sent one per frame or batched into JSON
 * array frames, some as binary frames, as the configuration's probabilities say.
 */
import { round2, type SimAccount } from "./accounts.ts";
import {
  balanceCarried,
  encodeEvent,
  encodeNonEquity,
  pickShape,
  wantsNonEquity,
  type EventObject,
  type Mix,
  type Shape,
} from "./events.ts";
import type { Connection, Hub } from "./hub.ts";
import type { Rng } from "./random.ts";

/** The part of the configuration that shapes frames. */
export interface FramingConfig {
  mix: Mix;
  /** Probability (0..1) that a frame batches pending events into a JSON array. */
  batchProbability: number;
  /** Most events in one batched frame. */
  maxBatch: number;
  /** Probability (0..1) that a frame is sent as binary (UTF-8 JSON). */
  binaryProbability: number;
}

/** True with probability `p`, without drawing when the answer is certain. */
export function chance(p: number, rng: Rng): boolean {
  return p >= 1 || (p > 0 && rng() < p);
}

export class Publisher {
  private readonly hub: Hub;
  private readonly rng: Rng;
  private readonly config: () => FramingConfig;
  /** Balance last carried by an event, per session (see `string_equity`). */
  private readonly lastBalance = new Map<string, number>();

  constructor(hub: Hub, rng: Rng, config: () => FramingConfig) {
    this.hub = hub;
    this.rng = rng;
    this.config = config;
  }

  /**
   * Sends each account's current figures to its subscribers: in `shape` when given, else a
   * shape drawn from the mix (plus, now and then, a non-equity event). Answers how many
   * connections got at least one event.
   */
  publish(accounts: readonly SimAccount[], shape?: Shape, now = Date.now()): number {
    const cfg = this.config();
    const pending = new Map<Connection, EventObject[]>();
    for (const account of accounts) {
      const conns = this.hub.subscribersOf(account.session_id);
      if (conns.length === 0) continue;
      const events: EventObject[] = [];
      if (shape === undefined && wantsNonEquity(cfg.mix, this.rng)) {
        events.push(encodeNonEquity(account, this.rng, now));
      }
      const event = encodeEvent(shape ?? this.drawShape(cfg.mix, account), account, now);
      const balance = balanceCarried(event);
      if (balance !== undefined) this.lastBalance.set(account.session_id, balance);
      events.push(event);
      for (const conn of conns) {
        const list = pending.get(conn);
        if (list) list.push(...events);
        else pending.set(conn, [...events]);
      }
    }
    for (const [conn, events] of pending) this.flush(conn, events, cfg);
    return pending.size;
  }

  /**
   * A shape from the mix; but `string_equity` carries no balance (meaning "unchanged"), so
   * it is drawn only while the balance is the one the last event for the account carried.
   */
  private drawShape(mix: Mix, account: SimAccount): Shape {
    const shape = pickShape(mix, this.rng);
    const unchanged = this.lastBalance.get(account.session_id) === round2(account.balance);
    return shape === "string_equity" && !unchanged ? "full" : shape;
  }

  private flush(conn: Connection, events: EventObject[], cfg: FramingConfig): void {
    let i = 0;
    while (i < events.length) {
      const batch = chance(cfg.batchProbability, this.rng);
      const chunk = batch ? events.slice(i, i + Math.max(1, cfg.maxBatch)) : [events[i]];
      i += chunk.length;
      const text = JSON.stringify(batch ? chunk : chunk[0]);
      const binary = chance(cfg.binaryProbability, this.rng);
      this.hub.send(conn, binary ? Buffer.from(text, "utf8") : text, chunk.length);
    }
  }

  /**
   * Sends one frame as given (a string as-is, anything else as JSON) to every connection,
   * or only to those subscribed to `sessionId`. Answers how many connections.
   */
  sendRaw(frame: unknown, opts: { binary?: boolean; sessionId?: string | undefined } = {}): number {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    const conns =
      opts.sessionId === undefined
        ? this.hub.connections()
        : this.hub.subscribersOf(opts.sessionId);
    let sent = 0;
    for (const conn of conns) {
      if (this.hub.send(conn, opts.binary ? Buffer.from(text, "utf8") : text, 0)) sent += 1;
    }
    return sent;
  }

  /** Forgets what balance each session's events carried. */
  reset(): void {
    this.lastBalance.clear();
  }
}
