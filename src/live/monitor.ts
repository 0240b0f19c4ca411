/**
 * The live monitor: a SQLite-backed Durable Object holding ONE shared Events WebSocket for
 * every live account. A thin shell: RPC and socket callbacks in, the pure core (core/)
 * decides, effects out to storage (store.ts), the link (events-link.ts) and Postgres through
 * the outbox (writer.ts). The alarm (scheduler.ts) is the heartbeat and watchdog.
 */
import { DurableObject } from "cloudflare:workers";
import type { Adjustment } from "../risk/index.ts";
import { errorMessage } from "../db/errors.ts";
import { log } from "../util/log.ts";
import * as core from "./core/index.ts";
import { EventsLink } from "./events-link.ts";
import { MonitorStore, deadLetterJson, type DeadLetterJson } from "./store.ts";
import { Holdings } from "./holdings.ts";
import { Readings } from "./readings.ts";
import { HEARTBEAT_MS, Scheduler } from "./scheduler.ts";
import { HealthAlerts, monitorName, postgresNotices } from "./health-alerts.ts";
import { RereadHandoff, type LiveRereadMessage } from "./reread-handoff.ts";
import { OrderHandoff, type TradeEventMessage } from "./order-handoff.ts";
import type { RestReading } from "./rest-reread.ts";
import { postgresWrite } from "./postgres-write.ts";
import { PostgresWriter, WRITER_RETRY } from "./writer.ts";
import { LiveEnforcer, shardRunner } from "./enforcer.ts";
import { LockWatch } from "./lock-watch.ts";
import type { LockWatchRow } from "./store.ts";
import { guardFromEvent } from "../enforce/lock-guard.ts";
import { withDb } from "../db/client.ts";
import { withDbDeadline } from "../db/client.ts";
import { recordRenewed, sealKeysOf } from "../accounts/credentials.ts";
import { isSealed } from "../secrets/seal.ts";
import { SessionSeals } from "./session-seals.ts";

/** A renewed token's write to Postgres that has not committed by then is abandoned (ms). */
const RENEW_DEADLINE_MS = 20_000;

export class LiveMonitor extends DurableObject<Env> {
  private readonly store: MonitorStore;
  /** Session tokens: in clear in memory, sealed in storage (session-seals.ts). */
  private readonly seals: SessionSeals;
  private readonly subs = new core.SubscriptionTable();
  private readonly link: EventsLink;
  private readonly writer: PostgresWriter;
  private readonly scheduler: Scheduler;
  private readonly counters: core.MonitorCounters;
  private readonly readings: Readings;
  private readonly holdings: Holdings;
  private readonly healthAlerts: HealthAlerts;
  private readonly handoff: RereadHandoff;
  private readonly orders: OrderHandoff;
  private readonly enforcer: LiveEnforcer;
  private readonly locks: LockWatch;
  /** Accounts of the actions this instance runs (action id -> account id). */
  private readonly acting = new Map<number, number>();
  /**
   * The monitor's clock (epoch ms): the reading path, the writer, the scheduler and the RPCs
   * all read time through it, so a test can move it through `runInDurableObject`.
   */
  clock: () => number = () => Date.now();
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
    this.seals = new SessionSeals(() => sealKeysOf(env));
    this.store = new MonitorStore(ctx.storage, this.seals);
    this.counters = {
      ...core.newCounters(),
      ...this.store.getMeta<core.MonitorCounters>("counters"),
    };
    // Samples stored before they were masked at the source are masked on the way in.
    this.counters.unroutable_samples = this.counters.unroutable_samples.map(core.scrubSample);
    this.counters.invalid_samples = this.counters.invalid_samples.map(core.scrubSample);
    const now = () => this.clock();
    this.scheduler = new Scheduler({
      now,
      setAlarm: (at) => void ctx.storage.setAlarm(at),
      onTimer: () => this.onTimer(),
      durableDue: () => [this.link.nextWake(), this.writer.retryDue(), this.enforcer.nextDue()],
      idle: () => this.subs.size === 0 && this.store.outboxSize() === 0 && this.enforcer.size === 0,
      heartbeatMs: () => this.settings.heartbeatMs,
    });
    this.link = new EventsLink({
      url: env.EVENTS_URL,
      now,
      onOpen: (send) => this.holdings.resubscribeAll(send),
      onFrame: (data) => this.readings.onFrame(data),
      wakeAt: (at) => this.scheduler.wakeAt(at),
    });
    this.writer = new PostgresWriter({
      now,
      outbox: this.store,
      current: (id) => this.subs.get(id),
      write: postgresWrite(env),
      wakeAt: (at) => this.scheduler.wakeAt(at),
      onAcked: (ids) => this.holdings.acked(ids, this.clock()),
      onActions: (actions) => this.onActions(actions),
      retry: () => this.settings.writerRetry,
    });
    this.locks = new LockWatch({
      store: this.store,
      send: (frame) => this.link.send(frame),
      held: (id) => this.subs.get(id) !== undefined,
      heldSession: (sessionId) => typeof this.subs.find({ sessionId }) !== "string",
      start: (w) =>
        withDb(env, (db) =>
          guardFromEvent(db, w.accountId, env.ENFORCEMENT, {
            mtapiUrl: env.MTAPI_URL,
            sessionId: w.sessionId,
          }),
        ),
      run: (id) => void this.enforcer.add([id]),
      acting: (accountId) => [...this.acting.values()].includes(accountId),
    });
    this.readings = new Readings({
      store: this.store,
      subs: this.subs,
      writer: this.writer,
      counters: this.counters,
      soon: (at) => this.scheduler.soon(at),
      onOrders: (accountId, orders, now, learntOffsetMs) =>
        this.orders.add(accountId, orders, now, learntOffsetMs),
      locks: this.locks,
      now,
    });
    this.holdings = new Holdings({
      store: this.store,
      subs: this.subs,
      link: this.link,
      writer: this.writer,
      backlog: this.readings.backlog,
      locks: this.locks,
    });
    const name = monitorName(ctx.id, this.store);
    this.healthAlerts = new HealthAlerts(this.store, postgresNotices(env, name));
    this.handoff = new RereadHandoff(env.POLL_QUEUE as Queue<LiveRereadMessage>, name);
    this.orders = new OrderHandoff(env.POLL_QUEUE as Queue<TradeEventMessage> | undefined);
    // Enforcement of held accounts' breaches runs here (enforcer.ts); the owner names this
    // instance, so a copy after an eviction waits for the old one's lease to expire.
    this.enforcer = new LiveEnforcer({
      now,
      queue: this.store,
      run: shardRunner(
        env,
        `monitor:${ctx.id.toString().slice(0, 16)}:${crypto.randomUUID()}`,
        now,
      ),
      wakeAt: (at) => this.scheduler.wakeAt(at),
      onFinished: (actionId) => {
        const accountId = this.acting.get(actionId);
        this.acting.delete(actionId);
        if (accountId !== undefined) this.locks.actionEnded(accountId);
      },
    });
    // No network I/O inside blockConcurrencyWhile (docs/platform.md). The subscriptions are
    // loaded here, before any event runs: their tokens are stored sealed and open
    // asynchronously (WebCrypto), once each.
    void ctx.blockConcurrencyWhile(async () => {
      await this.loadSubscriptions();
      this.scheduler.restoreAlarm(await ctx.storage.getAlarm());
    });
  }

  /**
   * Loads the stored subscriptions with their tokens opened (docs/security.md, "Secrets at
   * rest"); one stored in clear from before sealing is written back sealed.
   */
  private async loadSubscriptions(): Promise<void> {
    const keys = await this.seals.loadKeys();
    const clear: core.Subscription[] = [];
    for (const sub of this.store.loadSubscriptions()) {
      const stored = sub.sessionId;
      const token = await this.seals.open(keys, sub.accountId, stored);
      // Not openable (logged): left to reconciliation, never subscribed under a sealed value.
      if (token === null) continue;
      const opened = { ...sub, sessionId: token };
      this.subs.put(opened);
      if (keys?.current && !isSealed(stored)) clear.push(opened);
    }
    if (clear.length)
      this.store.atomically(() => clear.forEach((s) => this.store.saveSubscription(s)));
    // Locked accounts watched for their order events (lock-watch.ts), tokens opened likewise.
    const watches: LockWatchRow[] = [];
    for (const w of this.store.lockWatches()) {
      const token = await this.seals.open(keys, w.accountId, w.sessionId);
      if (token !== null) watches.push({ ...w, sessionId: token });
    }
    this.locks.restore(watches);
  }

  // ---- RPC -----------------------------------------------------------------------------

  /**
   * Subscribes accounts (or refreshes their rules and keys); returns how many are new. Each
   * `session_id` may come sealed (as Postgres stores it) or in clear.
   */
  async subscribe(
    inputs: core.SubscribeInput[],
  ): Promise<{ added: number; subscriptions: number }> {
    const added = this.holdings.subscribe(await this.seals.prepare(inputs), this.clock());
    this.scheduler.armAlarm();
    return { added, subscriptions: this.subs.size };
  }

  /** Unsubscribes accounts (operator action, reconciliation); returns how many it held. */
  async unsubscribe(
    accountIds: number[],
    reason = "request",
  ): Promise<{ removed: number; subscriptions: number }> {
    const removed = this.holdings.unsubscribe(accountIds, reason, this.clock());
    return { removed, subscriptions: this.subs.size };
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
    this.store.pruneTombstones(this.clock());
    return { added: toAdd.length, removed: toRemove.length };
  }

  /**
   * Applies a balance adjustment (deposit, withdrawal) to a live account at once, so the next
   * event is judged against floors moved with the money. Idempotent by adjustment id.
   * @returns false when the account is not held here (the poller applies it instead).
   */
  async adjust(accountId: number, adjustment: Adjustment): Promise<boolean> {
    return this.readings.adjust(accountId, adjustment, this.clock());
  }

  /** Wakes the monitor: connection as needed, alarm armed. The cron calls it every minute. */
  async ensureRunning(): Promise<core.MonitorStatus> {
    this.link.demand(this.holdings.linked());
    this.scheduler.armAlarm();
    return this.status();
  }

  /** The monitor as `GET /v1/monitor` shows it. */
  async status(): Promise<core.MonitorStatus> {
    const now = this.clock();
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
    else this.store.failDeadLetter(id, errorMessage(result.error), this.clock());
    return { found: true, landed: result.ok };
  }

  /** Applies REST readings the poll consumer took for this monitor (reread-handoff.ts). */
  async applyRestReadings(readings: RestReading[]): Promise<void> {
    this.readings.applyRestReadings(readings);
  }

  /** Writes pending changes to Postgres now (tests and operators); resolves when done. */
  async flushNow(): Promise<{ pending_writes: number }> {
    await this.writer.flush();
    return { pending_writes: this.store.outboxSize() };
  }

  /** Runs held enforcement actions that are due and waits for every run (tests, operators). */
  async enforceNow(): Promise<{ held: number }> {
    await this.enforcer.kick();
    await this.enforcer.idle();
    return { held: this.enforcer.size };
  }

  // ---- alarm and timer ------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.scheduler.alarmFired();
    const now = this.clock();
    try {
      this.link.tick();
      this.link.demand(this.holdings.linked());
      this.readings.rollDays(now);
      const { staleMs, maxRereads } = this.settings;
      const quiet = core.quietSubscriptions(this.subs.values(), now, staleMs, Infinity);
      await this.readings.reread(
        this.env.MTAPI_URL,
        await this.handoff.split(quiet, now, staleMs, maxRereads),
        (sub, token) => this.sessionRenewed(sub, token),
      );
      this.readings.persistTick();
      await this.writer.flushIfDue(this.clock());
      // Held actions due again (an eviction mid-run, a wait over, a retry): not awaited, a
      // long action never holds up the alarm.
      void this.enforcer.kick();
      await this.healthAlerts.tick(await this.status(), this.clock());
    } finally {
      this.scheduler.armAlarm();
    }
  }

  /**
   * A reconnect gave a held account a new token (docs/mtapi-bridge.md, "Sessions"): it is
   * subscribed under the new token before the old one is released (holdings.ts), and
   * Postgres takes the new token (unless an operator changed it meanwhile).
   */
  private sessionRenewed(sub: core.Subscription, token: string): void {
    const old = sub.sessionId;
    void (async () => {
      // Sealed for storage first (docs/security.md), then subscribed as before.
      const ready = await this.seals.prepare([
        {
          account_id: sub.accountId,
          login: sub.login,
          server: sub.server,
          session_id: token,
          rules: sub.rules,
          rules_version: sub.rulesVersion,
          risk_state: sub.risk,
        },
      ]);
      this.holdings.subscribe(ready, Date.now());
      const keys = await this.seals.loadKeys();
      await withDbDeadline(this.env, RENEW_DEADLINE_MS, "session", (db) =>
        recordRenewed(db, keys, sub.accountId, old, token, "token", "monitor"),
      );
    })().catch((err: unknown) =>
      log("monitor:renew_record_failed", { account_id: sub.accountId }, err),
    );
  }

  /**
   * A committed batch's enforcement actions (writer.ts), before the accounts are released: a
   * locked account is watched for its order events (lock-watch.ts), and every action runs here.
   */
  private onActions(
    actions: ReadonlyArray<{ id: number; accountId: number; dryRun: boolean; lock: boolean }>,
  ): void {
    for (const a of actions) {
      const sub = a.lock && !a.dryRun ? this.subs.get(a.accountId) : undefined;
      if (sub)
        this.locks.watch({
          accountId: sub.accountId,
          login: sub.login,
          server: sub.server,
          sessionId: sub.sessionId,
        });
    }
    for (const a of actions) this.acting.set(a.id, a.accountId);
    void this.enforcer.add(actions.map((a) => a.id));
  }

  private onTimer(): void {
    this.link.tick();
    void this.writer
      .flushIfDue(this.clock())
      .finally(() => this.scheduler.soon(this.writer.dueAt()));
  }
}
