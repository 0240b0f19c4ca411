/**
 * Keeping a locked live account flat from its order events (docs/enforcement.md, "Lock"). A
 * breach whose consequence locks (`close_all_and_lock`, acting, not a dry run) takes the account
 * out of live monitoring, but the shard keeps its Events subscription and watches it here: an
 * order event that does not show it flat starts its `lock_guard` action at once
 * (src/enforce/lock-guard.ts `guardFromEvent`: still locked, enforcement `on`, no other action
 * unfinished), and the shard's enforcer runs it. Equity events of a watched account are
 * dropped (it is breached; nothing more is judged). The watch ends when the account is no
 * longer locked (found on its next order event, or subscribed again after a reset); the
 * cron's pass over locked accounts stays the backstop.
 */
import { log } from "../util/log.ts";
import type { GuardStart } from "../enforce/lock-guard.ts";
import * as core from "./core/index.ts";
import type { LockWatchRow } from "./store.ts";

export interface LockWatchHost {
  store: {
    watchLock(w: LockWatchRow): void;
    unwatchLock(accountId: number): void;
  };
  /** Sends a frame on the Events link (subscribe / unsubscribe). */
  send(frame: string): void;
  /** True while the account is held as a live subscription. */
  held(accountId: number): boolean;
  /** True while a held subscription uses this session (another account may, after a reset). */
  heldSession(sessionId: string): boolean;
  /**
   * Starts the account's guard if it must: still locked, enforcement on, no other action
   * unfinished, and a fresh `OpenedOrders` read not flat (an event may be stale: the breach's
   * own closes announce lists that are empty moments later).
   */
  start(w: LockWatchRow): Promise<GuardStart>;
  /** Runs a started guard (the shard's enforcer). */
  run(actionId: number): void;
  /** True while this shard runs an action of the account (its events wait for its end). */
  acting?(accountId: number): boolean;
  /** ms between looks while another action of the account is unfinished. */
  busyRetryMs?: number;
}

/** Looks while busy, at most (then the cron's pass is the backstop). */
const BUSY_TRIES = 60;

export class LockWatch {
  private readonly bySession = new Map<string, LockWatchRow>();
  private readonly byAccount = new Map<number, LockWatchRow>();
  /** Accounts with a guard start in flight, and those with another event meanwhile. */
  private readonly inflight = new Set<number>();
  private readonly again = new Set<number>();
  private readonly busyTries = new Map<number, number>();
  /** Accounts with an order event while the shard ran an action of theirs. */
  private readonly deferred = new Set<number>();
  private readonly host: LockWatchHost;

  constructor(host: LockWatchHost) {
    this.host = host;
  }

  /** The stored watches, their tokens opened (a fresh instance, monitor.ts). */
  restore(rows: readonly LockWatchRow[]): void {
    for (const w of rows) this.remember(w);
  }

  get size(): number {
    return this.byAccount.size;
  }

  has(accountId: number): boolean {
    return this.byAccount.has(accountId);
  }

  /** Watches a locked account (its subscription is kept on the link when it is released). */
  watch(w: LockWatchRow): void {
    this.host.store.watchLock(w);
    this.remember(w);
  }

  /** The account is held again (subscribed after a reset): the watch ends, the link keeps it. */
  heldAgain(accountId: number): void {
    const w = this.byAccount.get(accountId);
    if (!w) return;
    this.forget(w);
  }

  /** Watched accounts not held as subscriptions (sent on a link that just opened). */
  *unheld(): IterableIterator<LockWatchRow> {
    for (const w of this.byAccount.values())
      if (!this.host.held(w.accountId) && !this.host.heldSession(w.sessionId)) yield w;
  }

  /** The watched account an item is about, when it is not held as a subscription. */
  find(keys: core.RouteKeys): LockWatchRow | undefined {
    const w =
      keys.sessionId !== undefined
        ? this.bySession.get(keys.sessionId)
        : keys.accountId !== undefined
          ? this.byAccount.get(keys.accountId)
          : undefined;
    return w && !this.host.held(w.accountId) && !this.host.heldSession(w.sessionId) ? w : undefined;
  }

  /** An item of a watched account: its orders, unless they show it flat, start a guard. */
  onItem(w: LockWatchRow, orders: core.OrderPayload | undefined): void {
    if (!orders) return;
    const open = orders.openedOrders;
    if (Array.isArray(open) && open.length === 0) return;
    // The breach's own closes announce themselves: looked at once its action has ended.
    if (this.host.acting?.(w.accountId)) {
      this.deferred.add(w.accountId);
      return;
    }
    this.trigger(w.accountId);
  }

  /** The shard's action of an account ended: an order event meanwhile is looked at now. */
  actionEnded(accountId: number): void {
    if (this.deferred.delete(accountId)) this.trigger(accountId);
  }

  private trigger(accountId: number): void {
    const w = this.byAccount.get(accountId);
    if (!w) return;
    if (this.inflight.has(accountId)) {
      this.again.add(accountId);
      return;
    }
    this.inflight.add(accountId);
    void this.host
      .start(w)
      .then((r) => {
        if ("started" in r) {
          this.busyTries.delete(accountId);
          this.host.run(r.started);
        } else if ("flat" in r || "off" in r) {
          this.busyTries.delete(accountId);
        } else if ("unlocked" in r) {
          if (this.byAccount.has(accountId)) {
            this.forget(w);
            if (!this.host.held(accountId) && !this.host.heldSession(w.sessionId))
              this.host.send(core.subscribeFrame("unsubscribe", w));
          }
        } else if ("busy" in r) {
          // Another action is closing what it planned; this event's position may not be in it.
          const tries = (this.busyTries.get(accountId) ?? 0) + 1;
          this.busyTries.set(accountId, tries);
          if (tries < BUSY_TRIES)
            setTimeout(() => this.trigger(accountId), this.host.busyRetryMs ?? 1_000);
          else this.busyTries.delete(accountId);
        }
      })
      .catch((err: unknown) => log("enforcement:guard_failed", { account_id: accountId }, err))
      .finally(() => {
        this.inflight.delete(accountId);
        if (this.again.delete(accountId)) this.trigger(accountId);
      });
  }

  private remember(w: LockWatchRow): void {
    this.bySession.set(w.sessionId, w);
    this.byAccount.set(w.accountId, w);
  }

  private forget(w: LockWatchRow): void {
    this.host.store.unwatchLock(w.accountId);
    this.bySession.delete(w.sessionId);
    this.byAccount.delete(w.accountId);
    this.busyTries.delete(w.accountId);
  }
}
