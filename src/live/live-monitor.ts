/**
 * The live monitor: a SQLite-backed Durable Object holding ONE shared outbound WebSocket to
 * the Events service for every account in live monitoring (the seed design). A thin shell:
 * the connection is a pure state machine (connection.ts), parsing and routing are pure
 * (parse-frame.ts, subscriptions.ts), the math is the risk engine's (accounts/outcome.ts),
 * and Postgres writes leave the event path through a durable outbox (writer.ts).
 *
 * The alarm is the heartbeat and watchdog (every HEARTBEAT_MS at most): it reconnects a dead
 * link, re-reads quiet accounts over REST, rolls trading days over, flushes writes, and
 * re-arms itself. The cron also calls `ensureRunning` every minute.
 */
import { DurableObject } from "cloudflare:workers";
import {
  applyReading,
  figuresChange,
  toChange,
  type AccountChange,
  type AppliedReading,
} from "../accounts/outcome.ts";
import { log } from "../log.ts";
import { fetchAccountSummary } from "../mtapi/account-summary.ts";
import { mapWithConcurrency } from "../poll/concurrency.ts";
import { rollover } from "../risk/index.ts";
import {
  newCounters,
  type MonitorCounters,
  type MonitorStatus,
  type SubscriptionInfo,
} from "./status.ts";
import { EventsLink } from "./events-link.ts";
import { LagWindow } from "./lag.ts";
import { parseFrame, type FrameItem } from "./parse-frame.ts";
import { MonitorStore } from "./store.ts";
import {
  SubscriptionTable,
  subscribeFrame,
  type SubscribeInput,
  type Subscription,
} from "./subscriptions.ts";
import { quietSubscriptions } from "./watchdog.ts";
import { PostgresWriter, READING_EVERY_MS } from "./writer.ts";

/** Alarm heartbeat period (ms): the watchdog runs at least this often. */
export const HEARTBEAT_MS = 30_000;
/** A live account with no event or REST read for this long is re-read over REST (ms). */
export const STALE_MS = 60_000;
/** Figures of live accounts are written to Postgres this often (ms). */
export const METRICS_FLUSH_MS = 2_000;
/** Most REST re-reads per heartbeat (subrequest and connection limits). */
const MAX_REST_PER_TICK = 200;
/** Tombstones older than this are forgotten (ms). */
const TOMBSTONE_TTL_MS = 15 * 60_000;

export class LiveMonitor extends DurableObject<Env> {
  private readonly store: MonitorStore;
  private readonly subs = new SubscriptionTable();
  private readonly link: EventsLink;
  private readonly writer: PostgresWriter;
  private counters: MonitorCounters = newCounters();
  private readonly lag = new LagWindow();
  private alarmAt: number | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeTimerAt = 0;
  /** Tunables (ms); tests shorten them through `runInDurableObject`. */
  readonly settings = { staleMs: STALE_MS, heartbeatMs: HEARTBEAT_MS };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite storage is synchronous: the state is loaded before any event can run.
    this.store = new MonitorStore(ctx.storage);
    for (const sub of this.store.loadSubscriptions()) this.subs.put(sub);
    this.counters = {
      ...newCounters(),
      ...(this.store.getMeta<MonitorCounters>("counters") ?? {}),
    };
    this.link = new EventsLink({
      url: env.EVENTS_URL,
      now: () => Date.now(),
      onOpen: (send) => this.resubscribeAll(send),
      onFrame: (data) => this.onFrame(data),
      wakeAt: (at) => this.wakeAt(at),
    });
    this.writer = new PostgresWriter({
      db: env,
      store: this.store,
      now: () => Date.now(),
      takeDirty: (limit) => this.takeDirty(limit),
      restoreDirty: (ids) =>
        ids.forEach((id) => this.subs.get(id) && (this.subs.get(id)!.dirty = true)),
      readingDue: (id, now) => this.readingDue(id, now),
      wakeAt: (at) => this.wakeAt(at),
    });
    // No network I/O inside blockConcurrencyWhile (platform-notes.md).
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
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
        const keep =
          existing?.risk && input.risk_state && existing.risk.last_at > input.risk_state.last_at;
        const sub: Subscription = {
          accountId: input.account_id,
          login: String(input.login),
          server: input.server,
          sessionId: input.session_id,
          rules: this.store.intern(input.rules),
          risk: keep ? existing!.risk : (input.risk_state ?? existing?.risk ?? null),
          subscribedAt: existing?.subscribedAt ?? now,
          lastEventAt: existing?.lastEventAt ?? 0,
          lastEventTs: existing?.lastEventTs ?? 0,
          lastRestAt: existing?.lastRestAt ?? now,
          lastReadingAt: existing?.lastReadingAt ?? 0,
          dirty: existing?.dirty ?? false,
          lastSource: existing?.lastSource ?? "poll",
        };
        if (
          existing &&
          (existing.sessionId !== sub.sessionId ||
            existing.login !== sub.login ||
            existing.server !== sub.server)
        ) {
          this.link.send(subscribeFrame("unsubscribe", existing));
        }
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
    this.armAlarm();
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
    this.armAlarm();
    return this.status();
  }

  /** The monitor as `GET /v1/monitor` shows it. */
  async status(): Promise<MonitorStatus> {
    const { unroutable_samples, ...events } = this.counters;
    return {
      connection: this.link.status(),
      subscriptions: this.subs.size,
      events,
      pending_writes: this.store.outboxSize(),
      lag: this.lag.figures(),
      unroutable_samples,
    };
  }

  /** The subscriptions, as `GET /v1/monitor/subscriptions` shows them. */
  async subscriptions(): Promise<SubscriptionInfo[]> {
    return [...this.subs.values()].map((s) => ({
      account_id: s.accountId,
      login: s.login,
      server: s.server,
      session_id: s.sessionId,
      subscribed_at: new Date(s.subscribedAt).toISOString(),
      last_event_at: s.lastEventAt ? new Date(s.lastEventAt).toISOString() : null,
    }));
  }

  /** Writes pending changes to Postgres now (tests and operators); resolves when done. */
  async flushNow(): Promise<{ pending_writes: number }> {
    await this.writer.flush();
    return { pending_writes: this.store.outboxSize() };
  }

  // ---- alarm: heartbeat and watchdog ----------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    try {
      this.link.tick();
      this.link.demand(this.subs.size);
      this.rollDays(now);
      await this.rereadQuietAccounts(now);
      if (!this.writer.failing || now >= this.writer.retryAt) await this.writer.flush();
      this.persist();
    } finally {
      this.armAlarm();
    }
  }

  // ---- event path -----------------------------------------------------------------------

  private onFrame(data: string | ArrayBuffer): void {
    const now = Date.now();
    const items = parseFrame(data);
    for (const item of items) this.onItem(item, now);
  }

  private onItem(item: FrameItem, now: number): void {
    const c = this.counters;
    switch (item.kind) {
      case "ack":
        c.acks++;
        return;
      case "service_error":
        c.service_errors++;
        log("events:service_error", { message: item.message });
        return;
      case "invalid":
        c.received++;
        c.invalid++;
        return;
      case "no_equity":
        c.received++;
        c.no_equity++;
        return;
      case "event":
        break;
    }
    c.received++;
    const route = this.subs.route(item.keys);
    if (route.kind !== "found") {
      if (route.kind === "unroutable") {
        c.unroutable++;
        if (c.unroutable_samples.length >= 5) c.unroutable_samples.shift();
        c.unroutable_samples.push(JSON.stringify(item).slice(0, 300));
        if (c.unroutable <= 10 || c.unroutable % 1000 === 0)
          log("events:unroutable", { count: c.unroutable });
      } else c.unsubscribed++;
      return;
    }
    const sub = route.sub;
    sub.lastEventAt = now;
    if (item.ts !== undefined && item.ts < sub.lastEventTs) {
      c.stale++;
      return;
    }
    // The engine's clock only moves forward: a service timestamp behind our last reading
    // (clock skew between the service and us) is applied at that last reading's time.
    const at = Math.max(item.ts ?? now, sub.risk?.last_at ?? 0);
    const outcome = applyReading(sub.accountId, sub.rules, sub.risk, "live", {
      equity: item.equity,
      balance: item.balance,
      at,
      source: "event",
    });
    if (!outcome.applied) {
      if (outcome.reason === "invalid") c.invalid++;
      else c.stale++;
      return;
    }
    if (item.ts !== undefined) {
      sub.lastEventTs = item.ts;
      this.lag.record(now - item.ts);
    }
    c.applied++;
    this.commit(sub, outcome, now);
  }

  /** Carries out one applied reading: persist what matters now, queue the rest. */
  private commit(sub: Subscription, outcome: AppliedReading, now: number): void {
    const prev = sub.risk;
    const next = outcome.state;
    sub.risk = next;
    sub.lastSource = outcome.reading.source;
    if (outcome.breached || outcome.exitLive) {
      // Persist before acting: the outbox entry and the release land in one atomic write.
      this.store.atomically(() => {
        this.store.enqueue(toChange(sub.rules, outcome), now);
        this.release(
          sub.accountId,
          now,
          outcome.breached ? "breached" : "usage below exit threshold",
        );
      });
      this.link.demand(this.subs.size);
      void this.writer.flush();
      return;
    }
    sub.dirty = true;
    // What the next readings depend on (high-water mark, day start, breaches) is persisted
    // at once; the bare figures are refreshed by the next event and persisted in batches.
    if (
      !prev ||
      prev.hwm !== next.hwm ||
      prev.day_start !== next.day_start ||
      prev.trading_day !== next.trading_day
    ) {
      this.store.saveRisk(sub);
    }
    this.scheduleFlush();
  }

  /** Drops a subscription (inside a storage transaction when called in a batch). */
  private release(accountId: number, now: number, reason: string): boolean {
    const sub = this.subs.get(accountId);
    if (!sub) return false;
    this.store.deleteSubscription(accountId, now);
    this.subs.delete(accountId);
    this.link.send(subscribeFrame("unsubscribe", sub));
    log("monitor:unsubscribed", { account_id: accountId, reason });
    return true;
  }

  private resubscribeAll(send: (frame: string) => void): void {
    const started = Date.now();
    for (const sub of this.subs.values()) send(subscribeFrame("subscribe", sub));
    log("events:resubscribed", { count: this.subs.size, ms: Date.now() - started });
  }

  // ---- write-behind ---------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.persist();
      if (!this.writer.failing || Date.now() >= this.writer.retryAt) void this.writer.flush();
    }, METRICS_FLUSH_MS);
  }

  /** Persists the risk state of every dirty subscription to storage in one transaction. */
  private persist(): void {
    this.store.atomically(() => {
      for (const sub of this.subs.values()) if (sub.dirty) this.store.saveRisk(sub);
    });
    this.store.setMeta("counters", this.counters);
  }

  private takeDirty(limit: number): AccountChange[] {
    const out: AccountChange[] = [];
    for (const sub of this.subs.values()) {
      if (!sub.dirty || !sub.risk) continue;
      sub.dirty = false;
      out.push(figuresChange(sub.accountId, sub.rules, sub.risk, sub.lastSource));
      if (out.length >= limit) break;
    }
    return out;
  }

  private readingDue(accountId: number, now: number): boolean {
    const sub = this.subs.get(accountId);
    if (!sub || now - sub.lastReadingAt < READING_EVERY_MS) return false;
    sub.lastReadingAt = now;
    return true;
  }

  // ---- watchdog -------------------------------------------------------------------------

  private rollDays(now: number): void {
    for (const sub of this.subs.values()) {
      if (!sub.risk || now < sub.risk.day_end_ms) continue;
      sub.risk = rollover(sub.rules, sub.risk, now);
      sub.dirty = true;
      this.store.saveRisk(sub);
      // Read it fresh at the boundary (risk-rules.md "Day boundary").
      sub.lastRestAt = 0;
      sub.lastEventAt = 0;
    }
  }

  /** Re-reads over REST every live account quiet for STALE_MS: a quiet link is not a dead one. */
  private async rereadQuietAccounts(now: number): Promise<void> {
    const quiet = quietSubscriptions(
      this.subs.values(),
      now,
      this.settings.staleMs,
      MAX_REST_PER_TICK,
    );
    if (quiet.length === 0) return;
    await mapWithConcurrency(quiet, 6, async (sub) => {
      const result = await fetchAccountSummary(this.env.MTAPI_URL, sub.sessionId, 10_000);
      sub.lastRestAt = Date.now();
      if (this.subs.get(sub.accountId) !== sub) return;
      if (!result.ok) {
        this.writer.problem(sub.accountId, result.problem);
        return;
      }
      this.writer.problem(sub.accountId, null);
      const at = Math.max(Date.now(), sub.risk?.last_at ?? 0);
      const outcome = applyReading(sub.accountId, sub.rules, sub.risk, "live", {
        ...result.summary,
        at,
        source: "poll",
      });
      if (outcome.applied) this.commit(sub, outcome, Date.now());
    });
    log("monitor:reread", { accounts: quiet.length });
  }

  // ---- timers ---------------------------------------------------------------------------

  /** Wants a tick at `at`: an in-memory timer for precision, the alarm as the durable backup. */
  private wakeAt(at: number): void {
    const delay = Math.max(0, at - Date.now());
    if (!this.wakeTimer || at < this.wakeTimerAt) {
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
      this.wakeTimerAt = at;
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = null;
        this.link.tick();
        if (this.writer.failing && Date.now() >= this.writer.retryAt) void this.writer.flush();
      }, delay);
    }
    this.armAlarm(at);
  }

  /** Keeps exactly one alarm, at the earliest time something is due. */
  private armAlarm(extra?: number): void {
    if (this.subs.size === 0 && this.store.outboxSize() === 0 && extra === undefined) return;
    const candidates = [
      Date.now() + this.settings.heartbeatMs,
      extra,
      this.link.nextWake(),
      this.writer.failing ? this.writer.retryAt : undefined,
    ];
    const at = Math.min(...candidates.filter((t): t is number => t !== undefined));
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > Date.now()) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}
