/**
 * The live monitor: a SQLite-backed Durable Object holding ONE shared Events WebSocket for
 * every live account. A thin shell: RPC and socket callbacks in, the pure core (core/)
 * decides, effects out to storage (store.ts), the link (events-link.ts) and Postgres through
 * the outbox (writer.ts). The alarm (scheduler.ts) is the heartbeat and watchdog.
 */
import { DurableObject } from "cloudflare:workers";
import type { Adjustment } from "../risk/index.ts";
import { errorMessage } from "../db/errors.ts";
import { log } from "../log.ts";
import * as core from "./core/index.ts";
import { EventsLink } from "./events-link.ts";
import { MonitorStore, deadLetterJson, type DeadLetterJson } from "./store.ts";
import { Readings } from "./readings.ts";
import { HEARTBEAT_MS, Scheduler } from "./scheduler.ts";
import { HealthAlerts, monitorName, postgresNotices } from "./health-alerts.ts";
import { RereadHandoff, type LiveRereadMessage } from "./reread-handoff.ts";
import type { RestReading } from "../poll/live-reread.ts";
import { postgresWrite } from "./postgres-write.ts";
import { PostgresWriter, WRITER_RETRY } from "./writer.ts";

export class LiveMonitor extends DurableObject<Env> {
  private readonly store: MonitorStore;
  private readonly subs = new core.SubscriptionTable();
  private readonly link: EventsLink;
  private readonly writer: PostgresWriter;
  private readonly scheduler: Scheduler;
  private readonly counters: core.MonitorCounters;
  private readonly readings: Readings;
  private readonly healthAlerts: HealthAlerts;
  private readonly handoff: RereadHandoff;
  /** Tunables (ms); tests shorten them through `runInDurableObject`. */
  readonly settings = {
    staleMs: core.STALE_MS,
    heartbeatMs: HEARTBEAT_MS,
    writerRetry: WRITER_RETRY,
    maxRereads: core.MAX_REREADS,
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite storage is synchronous: the state is loaded before any event can run.
    this.store = new MonitorStore(ctx.storage);
    for (const sub of this.store.loadSubscriptions()) this.subs.put(sub);
    this.counters = {
      ...core.newCounters(),
      ...this.store.getMeta<core.MonitorCounters>("counters"),
    };
    const now = () => Date.now();
    this.scheduler = new Scheduler({
      now,
      setAlarm: (at) => void ctx.storage.setAlarm(at),
      onTimer: () => this.onTimer(),
      durableDue: () => [this.link.nextWake(), this.writer.retryDue()],
      idle: () => this.subs.size === 0 && this.store.outboxSize() === 0,
      heartbeatMs: () => this.settings.heartbeatMs,
    });
    this.link = new EventsLink({
      url: env.EVENTS_URL,
      now,
      onOpen: (send) => this.resubscribeAll(send),
      onFrame: (data) => this.readings.onFrame(data),
      wakeAt: (at) => this.scheduler.wakeAt(at),
    });
    this.writer = new PostgresWriter({
      now,
      outbox: this.store,
      current: (id) => this.subs.get(id),
      write: postgresWrite(env),
      wakeAt: (at) => this.scheduler.wakeAt(at),
      onAcked: (ids) => this.onAcked(ids),
      retry: () => this.settings.writerRetry,
    });
    this.readings = new Readings({
      store: this.store,
      subs: this.subs,
      writer: this.writer,
      counters: this.counters,
      soon: (at) => this.scheduler.soon(at),
    });
    const name = monitorName(ctx.id, this.store);
    this.healthAlerts = new HealthAlerts(this.store, postgresNotices(env, name));
    this.handoff = new RereadHandoff(env.POLL_QUEUE as Queue<LiveRereadMessage>, name);
    // No network I/O inside blockConcurrencyWhile (platform-notes.md).
    void ctx.blockConcurrencyWhile(async () => {
      this.scheduler.restoreAlarm(await ctx.storage.getAlarm());
    });
  }

  // ---- RPC -----------------------------------------------------------------------------

  /** Subscribes accounts (or refreshes their rules and keys); returns how many are new. */
  async subscribe(
    inputs: core.SubscribeInput[],
  ): Promise<{ added: number; subscriptions: number }> {
    const now = Date.now();
    let added = 0;
    const changed: core.Subscription[] = [];
    this.store.atomically(() => {
      for (const input of inputs) {
        const existing = this.subs.get(input.account_id);
        const sub = core.mergeSubscription(existing, input, this.store.intern(input.rules), now);
        if (existing && core.keysChanged(existing, sub))
          this.link.send(core.subscribeFrame("unsubscribe", existing));
        if (!existing) added++;
        this.store.saveSubscription(sub);
        this.subs.put(sub);
        changed.push(sub);
      }
    });
    for (const sub of changed) this.link.send(core.subscribeFrame("subscribe", sub));
    // One line per call, not per account: a reconciliation may subscribe thousands at once.
    log("monitor:subscribed", {
      accounts: changed.length,
      added,
      account_ids: changed.slice(0, 20).map((s) => s.accountId),
    });
    this.link.demand(this.subs.size);
    this.scheduler.armAlarm();
    return { added, subscriptions: this.subs.size };
  }

  /** Unsubscribes accounts (operator action, reconciliation); returns how many it held. */
  async unsubscribe(
    accountIds: number[],
    reason = "request",
  ): Promise<{ removed: number; subscriptions: number }> {
    const now = Date.now();
    const removed = this.store.atomically(() =>
      accountIds.filter((id) => this.release(id, now, reason)),
    );
    this.link.demand(this.subs.size);
    return { removed: removed.length, subscriptions: this.subs.size };
  }

  /** Makes the subscriptions match the accounts Postgres marks live at `snapshotAt` (core/reconcile.ts). */
  async reconcile(
    snapshotAt: number,
    live: core.SubscribeInput[],
  ): Promise<{ added: number; removed: number }> {
    const { toAdd, toRemove } = core.reconcilePlan(
      this.subs.values(),
      (id) => this.subs.get(id) !== undefined,
      live,
      snapshotAt,
      this.store.tombstones(),
      this.store.outboxAccounts(),
    );
    if (toRemove.length) await this.unsubscribe(toRemove, "reconcile");
    if (toAdd.length) await this.subscribe(toAdd);
    if (toAdd.length || toRemove.length)
      log("monitor:reconciled", { added: toAdd.length, removed: toRemove.length });
    this.store.pruneTombstones(Date.now());
    return { added: toAdd.length, removed: toRemove.length };
  }

  /**
   * Applies a balance adjustment (deposit, withdrawal) to a live account at once, so the next
   * event is judged against floors moved with the money. Idempotent by adjustment id.
   * @returns false when the account is not held here (the poller applies it instead).
   */
  async adjust(accountId: number, adjustment: Adjustment): Promise<boolean> {
    return this.readings.adjust(accountId, adjustment, Date.now());
  }

  /** Wakes the monitor: connection as needed, alarm armed. The cron calls it every minute. */
  async ensureRunning(): Promise<core.MonitorStatus> {
    this.link.demand(this.subs.size);
    this.scheduler.armAlarm();
    return this.status();
  }

  /** The monitor as `GET /v1/monitor` shows it. */
  async status(): Promise<core.MonitorStatus> {
    const now = Date.now();
    const oldest = this.store.oldestOutboxAt();
    return core.monitorStatus(
      this.link.status(),
      this.subs.size,
      this.counters,
      this.store.outboxSize(),
      this.readings.lag.figures(),
      {
        oldestPendingS: oldest === null ? 0 : core.secondsSince(oldest, now),
        deadLetters: this.store.deadLetterCount(),
        coverage: core.liveCoverage(this.subs.values(), now),
        linkDownS: this.subs.size ? this.link.downForMs(now) / 1000 : 0,
        persisted: this.readings.backlog.figures(),
      },
    );
  }

  /** The subscriptions, as `GET /v1/monitor/subscriptions` shows them. */
  async subscriptions(): Promise<core.SubscriptionInfo[]> {
    return [...this.subs.values()].map(core.subscriptionInfo);
  }

  /** Outbox entries set aside after failing on their own, oldest first. */
  async deadLetters(): Promise<DeadLetterJson[]> {
    return this.store.deadLetters().map(deadLetterJson);
  }

  /** Writes one dead letter again: gone when it lands, kept with its new error when not. */
  async retryDeadLetter(id: number): Promise<{ found: boolean; landed: boolean }> {
    const letter = this.store.deadLetters().find((d) => d.id === id);
    if (!letter) return { found: false, landed: false };
    const result = await this.writer.writeOne(letter.change);
    if (result.ok) this.store.dropDeadLetter(id);
    else this.store.failDeadLetter(id, errorMessage(result.error), Date.now());
    return { found: true, landed: result.ok };
  }

  /** Applies REST readings the poll consumer took for this monitor (reread-handoff.ts). */
  async applyRestReadings(readings: RestReading[]): Promise<void> {
    for (const { account_id, result } of readings) {
      const sub = this.subs.get(account_id);
      if (sub) sub.lastRestAt = Date.now();
      if (sub) this.readings.applyRestRead(sub, result);
    }
  }

  /** Writes pending changes to Postgres now (tests and operators); resolves when done. */
  async flushNow(): Promise<{ pending_writes: number }> {
    await this.writer.flush();
    return { pending_writes: this.store.outboxSize() };
  }

  // ---- alarm and timer ------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.scheduler.alarmFired();
    const now = Date.now();
    try {
      this.link.tick();
      this.link.demand(this.subs.size);
      this.readings.rollDays(now);
      await this.rereadQuiet(now);
      this.readings.persistTick();
      await this.writer.flushIfDue(Date.now());
      await this.healthAlerts.tick(await this.status(), Date.now());
    } finally {
      this.scheduler.armAlarm();
    }
  }

  private onTimer(): void {
    this.link.tick();
    void this.writer.flushIfDue(Date.now()).finally(() => this.scheduler.soon(this.writer.dueAt()));
  }

  // ---- acknowledgements and releases ---------------------------------------------------

  /** Drops leaving accounts whose changes are all in Postgres now (the tombstone is the ack). */
  private onAcked(accountIds: number[]): void {
    const pending = this.store.outboxAccounts();
    const now = Date.now();
    const done = accountIds.filter((id) => this.subs.get(id)?.leaving && !pending.has(id));
    if (done.length === 0) return;
    this.store.atomically(() => done.forEach((id) => this.release(id, now, "left live")));
    this.link.demand(this.subs.size);
  }

  /** Drops a subscription (inside a storage transaction when called in a batch). */
  private release(accountId: number, now: number, reason: string): boolean {
    const sub = this.subs.get(accountId);
    if (!sub) return false;
    this.store.deleteSubscription(accountId, now);
    this.subs.delete(accountId);
    this.writer.forget(accountId);
    this.readings.backlog.forget(accountId);
    this.link.send(core.subscribeFrame("unsubscribe", sub));
    log("monitor:unsubscribed", { account_id: accountId, reason });
    return true;
  }

  private resubscribeAll(send: (frame: string) => void): void {
    const started = Date.now();
    for (const sub of this.subs.values()) send(core.subscribeFrame("subscribe", sub));
    log("events:resubscribed", { count: this.subs.size, ms: Date.now() - started });
  }

  /** Re-reads over REST every live account quiet for `staleMs` (the excess via the Queue). */
  private async rereadQuiet(now: number): Promise<void> {
    const { staleMs, maxRereads } = this.settings;
    const quiet = core.quietSubscriptions(this.subs.values(), now, staleMs, Infinity);
    const inline = await this.handoff.split(quiet, now, staleMs, maxRereads);
    await this.readings.reread(this.env.MTAPI_URL, inline);
  }
}
