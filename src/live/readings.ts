/**
 * The live monitor's reading path, from a frame (or a REST re-read) to its effects: the pure
 * core decides (core/event-path.ts for events, core/rest-path.ts for REST answers), and one
 * method here ({@link Readings.carryOut}) carries either decision out on the monitor's storage
 * (store.ts), its bounded risk backlog (core/persist-backlog.ts) and the writer (writer.ts).
 * A reading that leaves live monitoring (breach, exit threshold) goes to the outbox with its
 * evidence at once; one that moved what the next reading depends on saves the engine's state
 * at once; one that moved only the figures is left to the writer's batch and the backlog.
 */
import { guardSummary, type SummaryResult } from "../mtapi/account-summary.ts";
import type { RestReading } from "./rest-reread.ts";
import { eventCause, restCause } from "../domain/breach-evidence.ts";
import { toChange, type AppliedReading } from "../domain/outcome.ts";
import type { BreachCause } from "../domain/evidence.ts";
import { log } from "../util/log.ts";
import { applyAdjustment, type Adjustment, type ReadingSource } from "../risk/index.ts";
import * as core from "./core/index.ts";
import { rereadOverRest } from "./reread.ts";
import type { MonitorStore } from "./store.ts";
import type { PostgresWriter } from "./writer.ts";
import type { LockWatch } from "./lock-watch.ts";

/** What the reading path works on; the monitor owns each part. */
export interface ReadingsHost {
  store: MonitorStore;
  subs: core.SubscriptionTable;
  writer: PostgresWriter;
  counters: core.MonitorCounters;
  /** Wants the in-memory timer at `at` (epoch ms) or earlier (scheduler.ts). */
  soon(at: number | undefined): void;
  /** Order data of a routed account, handed to the trades side (order-handoff.ts). */
  onOrders?(
    accountId: number,
    orders: core.OrderPayload,
    now: number,
    /** The server's offset learnt from its stamps (ms; 0 when none): docs/trades.md, "Broker time". */
    learntOffsetMs: number,
  ): void;
  /** The monitor's clock (epoch ms). */
  now(): number;
  /** Locked accounts watched for their order events (lock-watch.ts). */
  locks?: Pick<LockWatch, "size" | "find" | "onItem">;
}

export class Readings {
  private readonly h: ReadingsHost;
  /** Event lag over the last events applied. */
  readonly lag = new core.LagWindow();
  /** Accounts whose stored figures are behind memory (the bounded persist). */
  readonly backlog = new core.PersistBacklog();
  /** The servers' learnt time offsets (core/server-time.ts). */
  readonly clocks = new core.ServerClocks();

  constructor(host: ReadingsHost) {
    this.h = host;
  }

  /** One frame off the Events link: each item on its own. */
  onFrame(data: string | ArrayBuffer): void {
    const now = this.h.now();
    // One item's failure never touches the next (another account's breach).
    for (const item of core.parseFrame(data)) {
      try {
        this.onItem(item, now);
      } catch (err) {
        this.h.counters.invalid++;
        log("events:item_failed", {}, err);
      }
    }
  }

  private handOrders(
    keys: core.RouteKeys,
    orders: core.OrderPayload,
    sub: core.Subscription | undefined,
    now: number,
  ): void {
    if (!this.h.onOrders) return;
    // An item the event path set aside (stale, invalid) names no subscription: route it again.
    const held = sub ?? this.h.subs.find(keys);
    if (typeof held !== "string")
      this.h.onOrders(held.accountId, orders, now, this.clocks.offsetOf(held.server));
  }

  private onItem(item: core.FrameItem, now: number): void {
    const { counters, locks } = this.h;
    const r = core.applyEvent(this.h.subs, item, now, this.clocks);
    // A watched locked account is never held, so only an item no subscription took can be
    // one of its (no second lookup per event on the common path): its orders may start a
    // guard; nothing is judged or counted.
    if (r.subscription === undefined && locks !== undefined && locks.size > 0 && "keys" in item) {
      const w = locks.find(item.keys);
      if (w) return locks.onItem(w, item.orders);
    }
    core.addCounts(counters, r.counts);
    // Orders never touch the equity path: routed and handed over as received (docs/trades.md).
    if (
      item.kind !== "ack" &&
      item.kind !== "service_error" &&
      item.kind !== "invalid" &&
      item.orders
    )
      this.handOrders(item.keys, item.orders, r.subscription, now);
    if (item.kind === "service_error") {
      if (core.logWorthy(counters.service_errors))
        log("events:service_error", { message: item.message, count: counters.service_errors });
    } else if (r.counts.includes("unroutable") && core.sampleUnroutable(counters, item))
      log("events:unroutable", { count: counters.unroutable });
    if (r.sample) core.keepSample(counters.invalid_samples, item);
    if (r.lagMs !== undefined) this.lag.record(r.lagMs);
    // The breach's evidence is built only for a breach: no allocation on the common path.
    const cause =
      r.action === "release" && r.outcome?.breached
        ? eventCause(item, r.subscription!.sessionId, now)
        : null;
    this.carryOut(r, now, "event", cause);
  }

  /**
   * Carries out what the core decided about one reading, events and REST answers alike: the
   * account's problem mark, then the commit of an applied reading (release, record, or keep).
   * @param cause the evidence of a breach, for a release that breached; null otherwise.
   */
  private carryOut(
    r: core.EventResult | core.RestResult,
    now: number,
    source: ReadingSource,
    cause: BreachCause | null,
  ): void {
    const sub = r.subscription;
    if (!sub) return;
    if (r.problem !== undefined) this.h.writer.problem(sub.accountId, r.problem);
    if (r.action === "none") return;
    // The rows of an applied reading are built only for a release or a record (event-path.ts).
    if (r.action === "release") this.leave(sub, r.outcome!, now, cause);
    else if (r.action === "record") this.record(sub, r.outcome!, now);
    else this.keep(sub, r.action, now, source);
  }

  /**
   * A reading that stays live but reached a warning level or met the objectives: recorded
   * through the outbox like a breach (objectives_met_at, its audit row, the alerts), with the
   * engine's state, atomically; the account stays live.
   */
  private record(sub: core.Subscription, o: AppliedReading, now: number): void {
    const { store, writer } = this.h;
    store.atomically(() => {
      store.enqueue(toChange(sub.rules, o), now);
      store.saveRisk(sub);
    });
    this.backlog.forget(sub.accountId);
    void writer.flushIfDue(now);
  }

  /**
   * A reading that leaves live monitoring: the change (with its evidence when it breached)
   * goes to the outbox with the engine's state, atomically; the account stays watched until
   * Postgres has it (monitor.ts `onAcked`).
   */
  private leave(
    sub: core.Subscription,
    o: AppliedReading,
    now: number,
    cause: BreachCause | null,
  ): void {
    const { store, writer } = this.h;
    store.atomically(() => {
      // A breach keeps its evidence: the rules version that judged it and what caused it.
      const ctx = cause ? { rulesVersion: sub.rulesVersion, cause } : {};
      store.enqueue(toChange(sub.rules, o, ctx), now);
      store.saveRisk(sub);
    });
    sub.leaving = true;
    writer.forget(sub.accountId);
    this.backlog.forget(sub.accountId);
    log("monitor:leaving", { account_id: sub.accountId, reason: core.releaseReason(o) });
    void writer.flushIfDue(now);
  }

  /** A reading that stays live: save what the next reading depends on now, batch the figures. */
  private keep(
    sub: core.Subscription,
    action: "save_risk" | "batch",
    now: number,
    source: ReadingSource,
  ): void {
    if (action === "save_risk") {
      this.h.store.saveRisk(sub);
      this.backlog.forget(sub.accountId);
    } else this.backlog.mark(sub.accountId);
    this.h.soon(this.h.writer.markDirty(sub.accountId, now, source));
  }

  /**
   * Applies a balance adjustment to a live account at once, saved with the engine's state.
   * @returns false when the account is not held here (the poller applies it instead).
   */
  adjust(accountId: number, adjustment: Adjustment, now: number): boolean {
    const sub = this.h.subs.get(accountId);
    if (!sub?.risk) return false;
    const next = applyAdjustment(sub.risk, adjustment);
    if (next === sub.risk) return true;
    sub.risk = next;
    this.saved(sub, now);
    log("monitor:adjusted", { account_id: accountId, adjustment_id: adjustment.id });
    return true;
  }

  /** Rolls every live account whose trading day ended over to the next (core/watchdog.ts). */
  rollDays(now: number): void {
    const { rolled, broken } = core.rollDays(this.h.subs.values(), now);
    for (const sub of rolled) this.saved(sub, now);
    for (const sub of broken) this.h.writer.problem(sub.accountId, "invalid_rules");
  }

  /** The engine's state moved outside an event: saved now, figures to the next batch. */
  private saved(sub: core.Subscription, now: number): void {
    this.h.store.saveRisk(sub);
    this.backlog.forget(sub.accountId);
    this.h.soon(this.h.writer.markDirty(sub.accountId, now));
  }

  /**
   * One persist tick (the heartbeat): rewrites at most PERSIST_ROWS_PER_TICK stored risk rows
   * whose figures are behind memory, and the counters.
   */
  persistTick(): void {
    const { store, subs } = this.h;
    store.saveRisks(this.backlog.take(), (id) => subs.get(id));
    store.setMeta("counters", this.h.counters);
  }

  /**
   * Re-reads the given held accounts over REST, and applies what it reads; `onRenewed` hears
   * of a session token that a reconnect changed (monitor.ts subscribes under it).
   */
  async reread(
    mtapiUrl: string,
    quiet: core.Subscription[],
    onRenewed?: (sub: core.Subscription, token: string) => void,
  ): Promise<void> {
    // A renewed token is held by a new subscription: its answer is applied to that one.
    const moved = new Map<core.Subscription, core.Subscription>();
    await rereadOverRest(
      mtapiUrl,
      quiet,
      this.h.now,
      (sub, result) => {
        const current = moved.get(sub) ?? sub;
        current.lastRestAt = sub.lastRestAt;
        this.applyRestRead(current, result);
      },
      (sub, token) => {
        onRenewed?.(sub, token);
        const current = this.h.subs.get(sub.accountId);
        if (current && current !== sub && current.sessionId === token) moved.set(sub, current);
      },
    );
  }

  /** Applies REST readings the poll consumer took for this monitor (reread-handoff.ts). */
  applyRestReadings(readings: readonly RestReading[]): void {
    for (const { account_id, result } of readings) {
      const sub = this.h.subs.get(account_id);
      if (!sub) continue;
      sub.lastRestAt = this.h.now();
      this.applyRestRead(sub, result);
    }
  }

  /** Judges one REST answer about a held account (its own re-read or the poll queue's). */
  applyRestRead(sub: core.Subscription, result: SummaryResult): void {
    // docs/mtapi-bridge.md: unsynced figures (or zeros after a non-zero balance) are no reading.
    if (this.h.subs.get(sub.accountId) === sub) {
      result = guardSummary(result, sub.risk?.balance);
      if (!result.ok && result.problem === "unsynced") core.markUnsynced(sub, this.h.now());
    }
    const now = this.h.now();
    const r = core.applyRestRead(this.h.subs, sub, result, now);
    if (r.error !== undefined) log("monitor:reread_failed", { account_id: sub.accountId }, r.error);
    try {
      const cause =
        r.action === "release" && r.outcome?.breached && result.ok
          ? restCause(sub.sessionId, result.summary, now)
          : null;
      this.carryOut(r, now, "poll", cause);
    } catch (err) {
      // As when the rules cannot be judged: the account is marked, the next re-read tries again.
      this.h.writer.problem(sub.accountId, "invalid_rules");
      log("monitor:reread_failed", { account_id: sub.accountId }, err);
    }
  }
}
