/**
 * The live monitor: a SQLite-backed Durable Object holding ONE shared Events WebSocket for
 * every live account. A thin shell: RPC and socket callbacks in, the pure core (core/)
 * decides, effects out to storage (store.ts), the link (events-link.ts) and Postgres through
 * the outbox (writer.ts). The alarm (scheduler.ts) is the heartbeat and watchdog.
 */
import { DurableObject } from "cloudflare:workers";
import { eventCause, restCause } from "../accounts/evidence.ts";
import { toChange, type AppliedReading } from "../accounts/outcome.ts";
import type { BreachCause } from "../db/evidence.ts";
import { applyAdjustment, type Adjustment } from "../risk/index.ts";
import { errorMessage } from "../db/errors.ts";
import type { SummaryResult } from "../mtapi/account-summary.ts";
import { log } from "../log.ts";
import * as core from "./core/index.ts";
import { EventsLink } from "./events-link.ts";
import { MonitorStore, deadLetterJson, type DeadLetterJson } from "./store.ts";
import { rereadOverRest } from "./reread.ts";
import { HEARTBEAT_MS, Scheduler } from "./scheduler.ts";
import { HealthAlerts, monitorName, postgresNotices } from "./health-alerts.ts";
import { RereadHandoff, type LiveRereadMessage } from "./reread-handoff.ts";
import type { RestReading } from "../poll/live-reread.ts";
import { postgresWrite } from "./postgres-write.ts";
import { PostgresWriter } from "./writer.ts";

export class LiveMonitor extends DurableObject<Env> {
  private readonly store: MonitorStore;
  private readonly subs = new core.SubscriptionTable();
  private readonly link: EventsLink;
  private readonly writer: PostgresWriter;
  private readonly scheduler: Scheduler;
  private readonly counters: core.MonitorCounters;
  private readonly lag = new core.LagWindow();
  private readonly healthAlerts: HealthAlerts;
  private readonly handoff: RereadHandoff;
  /** Tunables (ms); tests shorten them through `runInDurableObject`. */
  readonly settings = {
    staleMs: core.STALE_MS,
    heartbeatMs: HEARTBEAT_MS,
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
      onFrame: (data) => this.onFrame(data),
      wakeAt: (at) => this.scheduler.wakeAt(at),
    });
    this.writer = new PostgresWriter({
      now,
      outbox: this.store,
      current: (id) => this.subs.get(id),
      write: postgresWrite(env),
      wakeAt: (at) => this.scheduler.wakeAt(at),
      onAcked: (ids) => this.onAcked(ids),
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
    const sub = this.subs.get(accountId);
    if (!sub?.risk) return false;
    const next = applyAdjustment(sub.risk, adjustment);
    if (next !== sub.risk) {
      sub.risk = next;
      this.store.saveRisk(sub);
      this.scheduler.soon(this.writer.markDirty(accountId, Date.now()));
      log("monitor:adjusted", { account_id: accountId, adjustment_id: adjustment.id });
    }
    return true;
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
      this.lag.figures(),
      {
        oldestPendingS: oldest === null ? 0 : core.secondsSince(oldest, now),
        deadLetters: this.store.deadLetterCount(),
        coverage: core.liveCoverage(this.subs.values(), now),
        linkDownS: this.subs.size ? this.link.downForMs(now) / 1000 : 0,
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
      if (sub) this.applyRestRead(sub, result);
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
      const { rolled, broken } = core.rollDays(this.subs.values(), now);
      for (const sub of rolled) {
        this.writer.markDirty(sub.accountId, now);
        this.store.saveRisk(sub);
      }
      for (const sub of broken) this.writer.problem(sub.accountId, "invalid_rules");
      await this.rereadQuietAccounts(now);
      this.persist();
      await this.writer.flushIfDue(Date.now());
      await this.healthAlerts.tick(await this.status(), Date.now());
    } finally {
      this.scheduler.armAlarm();
    }
  }

  private onTimer(): void {
    this.link.tick();
    this.persist();
    void this.writer.flushIfDue(Date.now()).finally(() => this.scheduler.soon(this.writer.dueAt()));
  }

  // ---- event path -----------------------------------------------------------------------

  private onFrame(data: string | ArrayBuffer): void {
    const now = Date.now();
    // Each item on its own: one item's failure never touches the next (another account's breach).
    for (const item of core.parseFrame(data)) {
      try {
        this.onItem(item, now);
      } catch (err) {
        this.counters.invalid++;
        log("events:item_failed", {}, err);
      }
    }
  }

  private onItem(item: core.FrameItem, now: number): void {
    const r = core.applyEvent(this.subs, item, now);
    core.addCounts(this.counters, r.counts);
    if (item.kind === "service_error") {
      if (core.logWorthy(this.counters.service_errors))
        log("events:service_error", { message: item.message, count: this.counters.service_errors });
    } else if (r.counts.includes("unroutable") && core.sampleUnroutable(this.counters, item))
      log("events:unroutable", { count: this.counters.unroutable });
    if (r.sample) core.keepSample(this.counters.invalid_samples, item);
    if (r.problem) this.writer.problem(r.subscription!.accountId, r.problem);
    if (r.lagMs !== undefined) this.lag.record(r.lagMs);
    if (r.outcome && r.action !== "none") {
      const sub = r.subscription!;
      this.commit(sub, r.outcome, r.action, now, () => eventCause(item, sub.sessionId, now));
    }
  }

  /** Carries out one applied reading: persist what matters now, queue the rest. */
  private commit(
    sub: core.Subscription,
    o: AppliedReading,
    action: core.CommitAction,
    now: number,
    cause: () => BreachCause,
  ): void {
    if (action === "release") {
      // The change goes to the outbox; the account stays watched until Postgres has it.
      this.store.atomically(() => {
        // A breach keeps its evidence: the rules version that judged it and what caused it.
        const ctx = o.breached ? { rulesVersion: sub.rulesVersion, cause: cause() } : {};
        this.store.enqueue(toChange(sub.rules, o, ctx), now);
        this.store.saveRisk(sub);
      });
      sub.leaving = true;
      this.writer.forget(sub.accountId);
      log("monitor:leaving", { account_id: sub.accountId, reason: core.releaseReason(o) });
      void this.writer.flushIfDue(now);
      return;
    }
    if (action === "save_risk") this.store.saveRisk(sub);
    this.scheduler.soon(this.writer.markDirty(sub.accountId, now, o.reading.source));
  }

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
    this.link.send(core.subscribeFrame("unsubscribe", sub));
    log("monitor:unsubscribed", { account_id: accountId, reason });
    return true;
  }

  private resubscribeAll(send: (frame: string) => void): void {
    const started = Date.now();
    for (const sub of this.subs.values()) send(core.subscribeFrame("subscribe", sub));
    log("events:resubscribed", { count: this.subs.size, ms: Date.now() - started });
  }

  /** Persists the engine state of every account Postgres has not seen yet, and the counters. */
  private persist(): void {
    this.store.saveRisks(this.writer.dirtyIds(), (id) => this.subs.get(id));
    this.store.setMeta("counters", this.counters);
  }

  /** Re-reads over REST every live account quiet for `staleMs` (the excess via the Queue). */
  private async rereadQuietAccounts(now: number): Promise<void> {
    const { staleMs, maxRereads } = this.settings;
    const quiet = core.quietSubscriptions(this.subs.values(), now, staleMs, Infinity);
    const inline = await this.handoff.split(quiet, now, staleMs, maxRereads);
    await rereadOverRest(this.env.MTAPI_URL, inline, (sub, result) =>
      this.applyRestRead(sub, result),
    );
  }

  /** Judges one REST reading of a held account, as an event would be. */
  private applyRestRead(sub: core.Subscription, result: SummaryResult): void {
    if (this.subs.get(sub.accountId) !== sub) return;
    this.writer.problem(sub.accountId, result.ok ? null : result.problem);
    if (!result.ok) return;
    const prev = sub.risk;
    try {
      const outcome = core.readSubscription(sub, result.summary, Date.now(), "poll");
      const action = outcome.applied ? core.commitAction(prev, outcome, sub.leaving) : "none";
      const at = Date.now();
      if (outcome.applied && action !== "none")
        this.commit(sub, outcome, action, at, () => restCause(sub.sessionId, result.summary, at));
    } catch (err) {
      this.writer.problem(sub.accountId, "invalid_rules");
      log("monitor:reread_failed", { account_id: sub.accountId }, err);
    }
  }
}
