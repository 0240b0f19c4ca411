/**
 * The live monitor: a SQLite-backed Durable Object holding ONE shared outbound WebSocket to
 * the Events service for every account in live monitoring (the seed design). A thin shell:
 * RPC calls and socket callbacks come in, the pure core (core/) decides, and the effects go
 * out to storage (store.ts), the link (events-link.ts) and Postgres through the durable
 * outbox (writer.ts). One frame's trip: link -> core/event-path -> store/outbox -> writer.
 *
 * The alarm is the heartbeat and watchdog (scheduler.ts): it reconnects a dead link,
 * re-reads quiet accounts over REST, rolls trading days over, flushes writes, and re-arms
 * itself. The cron also calls `ensureRunning` every minute.
 */
import { DurableObject } from "cloudflare:workers";
import { toChange, type AppliedReading } from "../accounts/outcome.ts";
import { log } from "../log.ts";
import { fetchAccountSummary } from "../mtapi/account-summary.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { applyEvent, commitAction, readSubscription, releaseReason } from "./core/event-path.ts";
import type { CommitAction } from "./core/event-path.ts";
import { LagWindow } from "./core/lag.ts";
import { parseFrame } from "./core/parse-frame.ts";
import {
  addCounts,
  monitorStatus,
  newCounters,
  sampleUnroutable,
  subscriptionInfo,
  type MonitorCounters,
  type MonitorStatus,
  type SubscriptionInfo,
} from "./core/status.ts";
import {
  keysChanged,
  mergeSubscription,
  SubscriptionTable,
  subscribeFrame,
  type SubscribeInput,
  type Subscription,
} from "./core/subscriptions.ts";
import { quietSubscriptions, rollDays } from "./core/watchdog.ts";
import { EventsLink } from "./events-link.ts";
import { Scheduler } from "./scheduler.ts";
import { MonitorStore } from "./store.ts";
import { PostgresWriter, postgresWrite } from "./writer.ts";

/** Alarm heartbeat period (ms): the watchdog runs at least this often. */
export const HEARTBEAT_MS = 30_000;
/** A live account with no event or REST read for this long is re-read over REST (ms). */
export const STALE_MS = 60_000;
/** Most REST re-reads per heartbeat (subrequest and connection limits). */
const MAX_REST_PER_TICK = 200;
/** Tombstones older than this are forgotten (ms). */
const TOMBSTONE_TTL_MS = 15 * 60_000;

export class LiveMonitor extends DurableObject<Env> {
  private readonly store: MonitorStore;
  private readonly subs = new SubscriptionTable();
  private readonly link: EventsLink;
  private readonly writer: PostgresWriter;
  private readonly scheduler: Scheduler;
  private readonly counters: MonitorCounters;
  private readonly lag = new LagWindow();
  /** Tunables (ms); tests shorten them through `runInDurableObject`. */
  readonly settings = { staleMs: STALE_MS, heartbeatMs: HEARTBEAT_MS };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite storage is synchronous: the state is loaded before any event can run.
    this.store = new MonitorStore(ctx.storage);
    for (const sub of this.store.loadSubscriptions()) this.subs.put(sub);
    this.counters = { ...newCounters(), ...this.store.getMeta<MonitorCounters>("counters") };
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
    });
    // No network I/O inside blockConcurrencyWhile (platform-notes.md).
    void ctx.blockConcurrencyWhile(async () => {
      this.scheduler.restoreAlarm(await ctx.storage.getAlarm());
    });
  }

  // ---- RPC -----------------------------------------------------------------------------

  /** Subscribes accounts (or refreshes their rules and keys); returns how many are new. */
  async subscribe(inputs: SubscribeInput[]): Promise<{ added: number; subscriptions: number }> {
    const now = Date.now();
    let added = 0;
    const changed: Subscription[] = [];
    this.store.atomically(() => {
      for (const input of inputs) {
        const existing = this.subs.get(input.account_id);
        const sub = mergeSubscription(existing, input, this.store.intern(input.rules), now);
        if (existing && keysChanged(existing, sub))
          this.link.send(subscribeFrame("unsubscribe", existing));
        if (!existing) added++;
        this.store.saveSubscription(sub);
        this.subs.put(sub);
        changed.push(sub);
      }
    });
    for (const sub of changed) this.link.send(subscribeFrame("subscribe", sub));
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

  /**
   * Makes the subscriptions match the accounts Postgres marks live, as read at `snapshotAt`,
   * without undoing a change newer than that snapshot: an account subscribed after it stays,
   * and one the monitor let go after it (or whose change still waits in the outbox) is not
   * taken back.
   */
  async reconcile(
    snapshotAt: number,
    live: SubscribeInput[],
  ): Promise<{ added: number; removed: number }> {
    const tombstones = this.store.tombstones();
    const pending = this.store.outboxAccounts();
    const wanted = new Set(live.map((a) => a.account_id));
    const toAdd = live.filter(
      (a) =>
        !this.subs.get(a.account_id) &&
        !pending.has(a.account_id) &&
        (tombstones.get(a.account_id) ?? -1) < snapshotAt,
    );
    const toRemove = [...this.subs.values()]
      .filter((s) => !wanted.has(s.accountId) && s.subscribedAt < snapshotAt)
      .map((s) => s.accountId);
    if (toRemove.length) await this.unsubscribe(toRemove, "reconcile");
    if (toAdd.length) await this.subscribe(toAdd);
    if (toAdd.length || toRemove.length)
      log("monitor:reconciled", { added: toAdd.length, removed: toRemove.length });
    this.store.pruneTombstones(Date.now() - TOMBSTONE_TTL_MS);
    return { added: toAdd.length, removed: toRemove.length };
  }

  /** Wakes the monitor: connection as needed, alarm armed. The cron calls it every minute. */
  async ensureRunning(): Promise<MonitorStatus> {
    this.link.demand(this.subs.size);
    this.scheduler.armAlarm();
    return this.status();
  }

  /** The monitor as `GET /v1/monitor` shows it. */
  async status(): Promise<MonitorStatus> {
    const pending = this.store.outboxSize();
    return monitorStatus(
      this.link.status(),
      this.subs.size,
      this.counters,
      pending,
      this.lag.figures(),
    );
  }

  /** The subscriptions, as `GET /v1/monitor/subscriptions` shows them. */
  async subscriptions(): Promise<SubscriptionInfo[]> {
    return [...this.subs.values()].map(subscriptionInfo);
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
      for (const sub of rollDays(this.subs.values(), now)) {
        this.writer.markDirty(sub.accountId, now);
        this.store.saveRisk(sub);
      }
      await this.rereadQuietAccounts(now);
      this.persist();
      await this.writer.flushIfDue(Date.now());
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
    for (const item of parseFrame(data)) {
      const r = applyEvent(this.subs, item, now);
      addCounts(this.counters, r.counts);
      if (item.kind === "service_error") log("events:service_error", { message: item.message });
      else if (r.counts.includes("unroutable")) this.noteUnroutable(item);
      if (r.lagMs !== undefined) this.lag.record(r.lagMs);
      if (r.outcome && r.action !== "none") this.commit(r.subscription!, r.outcome, r.action, now);
    }
  }

  private noteUnroutable(item: unknown): void {
    const c = this.counters;
    sampleUnroutable(c, item);
    if (c.unroutable <= 10 || c.unroutable % 1000 === 0)
      log("events:unroutable", { count: c.unroutable });
  }

  /** Carries out one applied reading: persist what matters now, queue the rest. */
  private commit(sub: Subscription, o: AppliedReading, action: CommitAction, now: number): void {
    if (action === "release") {
      // Persist before acting: the outbox entry and the release land in one atomic write.
      this.store.atomically(() => {
        this.store.enqueue(toChange(sub.rules, o), now);
        this.release(sub.accountId, now, releaseReason(o));
      });
      this.link.demand(this.subs.size);
      void this.writer.flushIfDue(now);
      return;
    }
    if (action === "save_risk") this.store.saveRisk(sub);
    this.scheduler.soon(this.writer.markDirty(sub.accountId, now, o.reading.source));
  }

  /** Drops a subscription (inside a storage transaction when called in a batch). */
  private release(accountId: number, now: number, reason: string): boolean {
    const sub = this.subs.get(accountId);
    if (!sub) return false;
    this.store.deleteSubscription(accountId, now);
    this.subs.delete(accountId);
    this.writer.forget(accountId);
    this.link.send(subscribeFrame("unsubscribe", sub));
    log("monitor:unsubscribed", { account_id: accountId, reason });
    return true;
  }

  private resubscribeAll(send: (frame: string) => void): void {
    const started = Date.now();
    for (const sub of this.subs.values()) send(subscribeFrame("subscribe", sub));
    log("events:resubscribed", { count: this.subs.size, ms: Date.now() - started });
  }

  /** Persists the engine state of every account Postgres has not seen yet, and the counters. */
  private persist(): void {
    this.store.atomically(() => {
      for (const id of this.writer.dirtyIds()) {
        const sub = this.subs.get(id);
        if (sub) this.store.saveRisk(sub);
      }
    });
    this.store.setMeta("counters", this.counters);
  }

  /** Re-reads over REST every live account quiet for STALE_MS: a quiet link is not a dead one. */
  private async rereadQuietAccounts(now: number): Promise<void> {
    const { staleMs } = this.settings;
    const quiet = quietSubscriptions(this.subs.values(), now, staleMs, MAX_REST_PER_TICK);
    if (quiet.length === 0) return;
    await mapWithConcurrency(quiet, 6, async (sub) => {
      const result = await fetchAccountSummary(this.env.MTAPI_URL, sub.sessionId, 10_000);
      sub.lastRestAt = Date.now();
      if (this.subs.get(sub.accountId) !== sub) return;
      this.writer.problem(sub.accountId, result.ok ? null : result.problem);
      if (!result.ok) return;
      const prev = sub.risk;
      const outcome = readSubscription(sub, result.summary, Date.now(), "poll");
      if (outcome.applied) this.commit(sub, outcome, commitAction(prev, outcome), Date.now());
    });
    log("monitor:reread", { accounts: quiet.length });
  }
}
