/**
 * The accounts a live monitor holds: subscribing (and refreshing rules and keys), releasing,
 * and the release of leaving accounts once Postgres has their last change. Each change goes
 * to durable storage and to the Events link together; the Durable Object (monitor.ts) only
 * forwards its RPCs here.
 */
import { log } from "../util/log.ts";
import * as core from "./core/index.ts";
import type { PersistBacklog } from "./core/persist-backlog.ts";
import type { EventsLink } from "./events-link.ts";
import type { LockWatch } from "./lock-watch.ts";
import type { MonitorStore } from "./store.ts";
import type { PostgresWriter } from "./writer.ts";

/** What the holdings change: the monitor's parts. */
export interface HoldingsParts {
  store: MonitorStore;
  subs: core.SubscriptionTable;
  link: Pick<EventsLink, "send" | "demand">;
  writer: Pick<PostgresWriter, "forget">;
  backlog: Pick<PersistBacklog, "forget">;
  /**
   * Locked accounts watched for their order events (lock-watch.ts): a released one keeps its
   * Events subscription; a subscribed one is no longer watched.
   */
  locks?: Pick<LockWatch, "has" | "heldAgain" | "unheld" | "size">;
}

export class Holdings {
  constructor(private readonly p: HoldingsParts) {}

  /** Subscribes accounts (or refreshes their rules and keys); returns how many are new. */
  subscribe(inputs: readonly core.SubscribeInput[], now: number): number {
    const { store, subs, link } = this.p;
    let added = 0;
    const changed: core.Subscription[] = [];
    const replaced: core.Subscription[] = [];
    store.atomically(() => {
      for (const input of inputs) {
        const existing = subs.get(input.account_id);
        const sub = core.mergeSubscription(existing, input, store.intern(input.rules), now);
        if (existing && core.keysChanged(existing, sub)) replaced.push(existing);
        if (!existing) added++;
        this.p.locks?.heldAgain(input.account_id);
        store.saveSubscription(sub);
        subs.put(sub);
        changed.push(sub);
      }
    });
    // New keys first, then the old ones released: no gap in events (docs/mtapi-bridge.md).
    for (const sub of changed) link.send(core.subscribeFrame("subscribe", sub));
    for (const old of replaced) link.send(core.subscribeFrame("unsubscribe", old));
    // One line per call, not per account: a reconciliation may subscribe thousands at once.
    log("monitor:subscribed", {
      accounts: changed.length,
      added,
      account_ids: changed.slice(0, 20).map((s) => s.accountId),
    });
    link.demand(this.linked());
    return added;
  }

  /** Releases accounts (operator action, reconciliation); returns how many were held. */
  unsubscribe(accountIds: readonly number[], reason: string, now: number): number {
    const removed = this.p.store.atomically(() =>
      accountIds.filter((id) => this.release(id, now, reason)),
    );
    this.p.link.demand(this.linked());
    return removed.length;
  }

  /** Drops leaving accounts whose changes are all in Postgres now (the tombstone is the ack). */
  acked(accountIds: readonly number[], now: number): void {
    const { store, subs } = this.p;
    const pending = store.outboxAccounts();
    const done = accountIds.filter((id) => subs.get(id)?.leaving && !pending.has(id));
    if (done.length === 0) return;
    store.atomically(() => done.forEach((id) => this.release(id, now, "left live")));
    this.p.link.demand(this.linked());
  }

  /** Subscriptions the link carries: the held ones and the watched locked ones. */
  linked(): number {
    return this.p.subs.size + (this.p.locks?.size ?? 0);
  }

  /** Sends every held subscription (and every watched locked account) on a link that just opened. */
  resubscribeAll(send: (frame: string) => void): void {
    const started = Date.now();
    for (const sub of this.p.subs.values()) send(core.subscribeFrame("subscribe", sub));
    if (this.p.locks)
      for (const w of this.p.locks.unheld()) send(core.subscribeFrame("subscribe", w));
    log("events:resubscribed", { count: this.p.subs.size, ms: Date.now() - started });
  }

  /** Drops a subscription (inside a storage transaction when called in a batch). */
  private release(accountId: number, now: number, reason: string): boolean {
    const sub = this.p.subs.get(accountId);
    if (!sub) return false;
    this.p.store.deleteSubscription(accountId, now);
    this.p.subs.delete(accountId);
    this.p.writer.forget(accountId);
    this.p.backlog.forget(accountId);
    // A locked account stays on the link: its order events keep it flat (lock-watch.ts).
    if (!this.p.locks?.has(accountId)) this.p.link.send(core.subscribeFrame("unsubscribe", sub));
    log("monitor:unsubscribed", { account_id: accountId, reason });
    return true;
  }
}
