/**
 * The watchdog's overflow (docs/wire-contract.md, "Connection behaviour": every live account quiet for 60 s is re-read
 * within 30 s, however many are quiet): what one heartbeat cannot re-read itself (more than
 * MAX_REREADS accounts) goes to the poll Queue as `live_reread` messages naming this monitor;
 * the consumer (src/poll/live-reread.ts) reads them over MTAPI and hands the answers back
 * through `LiveMonitor.applyRestReadings`, so the monitor's figures follow.
 */
import { log } from "../util/log.ts";
import type { Subscription } from "./core/subscriptions.ts";
import { planRereads } from "./core/watchdog.ts";

/** Accounts per `live_reread` message (as a sweep's messages). */
export const REREADS_PER_MESSAGE = 50;

/** A poll Queue message: re-read these live accounts and hand the answers to `monitor`. */
export interface LiveRereadMessage {
  live_reread: true;
  /** The monitor's name (its shard), as `LIVE_MONITOR.getByName` takes it. */
  monitor: string;
  account_ids: number[];
  /** Epoch ms the accounts were handed off. */
  handed_at: number;
}

/** True for a `live_reread` message. */
export function isLiveReread(body: unknown): body is LiveRereadMessage {
  return (body as Partial<LiveRereadMessage> | null)?.live_reread === true;
}

export class RereadHandoff {
  /** Account id -> when it was last handed off (in memory: an eviction at worst re-sends). */
  private readonly handedAt = new Map<number, number>();

  private readonly queue: Pick<Queue<LiveRereadMessage>, "sendBatch"> | undefined;
  private readonly monitor: string;

  constructor(queue: Pick<Queue<LiveRereadMessage>, "sendBatch"> | undefined, monitor: string) {
    this.queue = queue;
    this.monitor = monitor;
  }

  /**
   * Splits the quiet accounts; sends the excess to the Queue (a failed send is logged and
   * tried again next heartbeat); returns those this heartbeat re-reads itself.
   */
  async split(
    quiet: readonly Subscription[],
    now: number,
    staleMs: number,
    max: number,
  ): Promise<Subscription[]> {
    for (const [id, at] of this.handedAt) if (at <= now - staleMs) this.handedAt.delete(id);
    const plan = planRereads(quiet, this.handedAt, now, staleMs, max);
    if (plan.handOff.length === 0 || !this.queue) return plan.inline;
    const ids = plan.handOff.map((s) => s.accountId);
    const messages: Array<{ body: LiveRereadMessage }> = [];
    for (let i = 0; i < ids.length; i += REREADS_PER_MESSAGE)
      messages.push({
        body: {
          live_reread: true,
          monitor: this.monitor,
          account_ids: ids.slice(i, i + REREADS_PER_MESSAGE),
          handed_at: now,
        },
      });
    try {
      for (let i = 0; i < messages.length; i += 100)
        await this.queue.sendBatch(messages.slice(i, i + 100));
      for (const id of ids) this.handedAt.set(id, now);
      log("monitor:reread_handed_off", { accounts: ids.length, messages: messages.length });
    } catch (err) {
      log("monitor:reread_handoff_failed", { accounts: ids.length }, err);
    }
    return plan.inline;
  }
}
