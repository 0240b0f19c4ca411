/**
 * The live monitor's reading path, from a frame (or a REST re-read) to its effects: the pure
 * core decides (core/event-path.ts), this carries the decision out on the monitor's storage
 * (store.ts), its bounded risk backlog (core/persist-backlog.ts) and the writer (writer.ts).
 * A reading that leaves live monitoring (breach, exit threshold) goes to the outbox with its
 * evidence at once; one that moved what the next reading depends on saves the engine's state
 * at once; one that moved only the figures is left to the writer's batch and the backlog.
 */
import type { SummaryResult } from "../mtapi/account-summary.ts";
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

/** What the reading path works on; the monitor owns each part. */
export interface ReadingsHost {
  store: MonitorStore;
  subs: core.SubscriptionTable;
  writer: PostgresWriter;
  counters: core.MonitorCounters;
  /** Wants the in-memory timer at `at` (epoch ms) or earlier (scheduler.ts). */
  soon(at: number | undefined): void;
}

export class Readings {
  private readonly h: ReadingsHost;
  /** Event lag over the last events applied. */
  readonly lag = new core.LagWindow();
  /** Accounts whose stored figures are behind memory (the bounded persist). */
  readonly backlog = new core.PersistBacklog();

  constructor(host: ReadingsHost) {
    this.h = host;
  }

  /** One frame off the Events link: each item on its own. */
  onFrame(data: string | ArrayBuffer): void {
    const now = Date.now();
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

  private onItem(item: core.FrameItem, now: number): void {
    const { counters } = this.h;
    const r = core.applyEvent(this.h.subs, item, now);
    core.addCounts(counters, r.counts);
    if (item.kind === "service_error") {
      if (core.logWorthy(counters.service_errors))
        log("events:service_error", { message: item.message, count: counters.service_errors });
    } else if (r.counts.includes("unroutable") && core.sampleUnroutable(counters, item))
      log("events:unroutable", { count: counters.unroutable });
    if (r.sample) core.keepSample(counters.invalid_samples, item);
    if (r.problem) this.h.writer.problem(r.subscription!.accountId, r.problem);
    if (r.lagMs !== undefined) this.lag.record(r.lagMs);
    if (r.action === "none") return;
    const sub = r.subscription!;
    // The breach's evidence is built only for a breach: no allocation on the common path.
    if (r.action === "release")
      this.leave(
        sub,
        r.outcome!,
        now,
        r.outcome!.breached ? eventCause(item, sub.sessionId, now) : null,
      );
    else if (r.action === "record") this.record(sub, r.outcome!, now);
    else this.keep(sub, r.action, now, "event");
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

  /** Re-reads the given held accounts over REST, and applies what it reads. */
  async reread(mtapiUrl: string, quiet: core.Subscription[]): Promise<void> {
    await rereadOverRest(mtapiUrl, quiet, (sub, result) => this.applyRestRead(sub, result));
  }

  /** Applies REST readings the poll consumer took for this monitor (reread-handoff.ts). */
  applyRestReadings(readings: readonly RestReading[]): void {
    for (const { account_id, result } of readings) {
      const sub = this.h.subs.get(account_id);
      if (!sub) continue;
      sub.lastRestAt = Date.now();
      this.applyRestRead(sub, result);
    }
  }

  /** Judges one REST reading of a held account (its own re-read or the poll queue's). */
  applyRestRead(sub: core.Subscription, result: SummaryResult): void {
    const { subs, writer } = this.h;
    if (subs.get(sub.accountId) !== sub) return;
    writer.problem(sub.accountId, result.ok ? null : result.problem);
    if (!result.ok) return;
    try {
      const at = Date.now();
      const read = core.readSubscription(sub, result.summary, at, "poll");
      if (!read.applied) return;
      const { action, outcome } = read;
      if (action === "release")
        this.leave(
          sub,
          outcome,
          at,
          outcome.breached ? restCause(sub.sessionId, result.summary, at) : null,
        );
      else if (action === "record") this.record(sub, outcome, at);
      else if (action !== "none") this.keep(sub, action, at, "poll");
    } catch (err) {
      writer.problem(sub.accountId, "invalid_rules");
      log("monitor:reread_failed", { account_id: sub.accountId }, err);
    }
  }
}
