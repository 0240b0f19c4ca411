/**
 * `monitor.degraded` / `monitor.recovered` (docs/alerts.md): on each heartbeat the monitor
 * hands its health here. A change from the health last announced is kept in the monitor's
 * storage (with its message id) together with the new announced health, in one storage
 * transaction, so an eviction neither loses it nor announces it twice; it is then recorded in
 * the alert outbox in Postgres (retried on later heartbeats while Postgres is away) and its
 * deliveries are sent to the alert queues.
 */
import { recordMonitorHealth, sendAlerts, mergeRecorded, type Recorded } from "../alerts/record.ts";
import { newMessageId } from "../domain/alert-events.ts";
import { withDbDeadline, type DbConfig } from "../db/client.ts";
import { log } from "../util/log.ts";
import {
  addNotice,
  healthChange,
  type HealthNotice,
  type HealthNow,
} from "./core/health-change.ts";

/** Storage keys of the announced health and the notices waiting for Postgres. */
const ANNOUNCED = "health_announced";
const PENDING = "health_pending";
/** A recording that has not committed by then is abandoned (ms). */
export const RECORD_DEADLINE_MS = 10_000;

/** The monitor's key-value storage, as MonitorStore gives it. */
export interface MetaStore {
  getMeta<T>(key: string): T | undefined;
  setMeta(key: string, value: unknown): void;
  atomically<T>(fn: () => T): T;
}

/** Records notices in Postgres (all or nothing); the production one is {@link postgresNotices}. */
export type RecordNotices = (notices: readonly HealthNotice[]) => Promise<Recorded>;

export class HealthAlerts {
  private readonly store: MetaStore;
  private readonly record: RecordNotices;

  constructor(store: MetaStore, record: RecordNotices) {
    this.store = store;
    this.record = record;
  }

  /** Notices seen but not yet in Postgres, oldest first. */
  pending(): HealthNotice[] {
    return this.store.getMeta<HealthNotice[]>(PENDING) ?? [];
  }

  /** Notes a change of `now` from the announced health, then records what is pending. */
  async tick(now: HealthNow, at: number): Promise<void> {
    const announced = this.store.getMeta<"ok" | "degraded">(ANNOUNCED);
    const notice = healthChange(announced, now, at, newMessageId);
    if (notice) {
      this.store.atomically(() => {
        this.store.setMeta(PENDING, addNotice(this.pending(), notice));
        this.store.setMeta(ANNOUNCED, now.health);
      });
      log(notice.degraded ? "monitor:degraded" : "monitor:recovered", { reasons: now.reasons });
    }
    const pending = this.pending();
    if (pending.length === 0) return;
    try {
      const recorded = await this.record(pending);
      const done = new Set(pending.map((n) => n.id));
      this.store.setMeta(
        PENDING,
        this.pending().filter((n) => !done.has(n.id)),
      );
      await sendAlerts(recorded);
    } catch (err) {
      log("monitor:health_record_failed", { pending: pending.length }, err);
    }
  }
}

/** Records notices of monitor `monitor` in one transaction over a pool opened for it. */
export function postgresNotices(
  config: DbConfig,
  monitor: string,
  deadlineMs = RECORD_DEADLINE_MS,
): RecordNotices {
  return (notices) =>
    withDbDeadline(config, deadlineMs, "health recording", (db) =>
      db.transaction(async (tx) => {
        const parts: Recorded[] = [];
        for (const n of notices) parts.push(await recordMonitorHealth(tx, n, monitor));
        return mergeRecorded(parts);
      }),
    );
}

/**
 * The monitor's name (its shard name), kept in storage the first time it is known: an object
 * woken by its alarm after an eviction may not be told its name again.
 */
export function monitorName(
  id: { readonly name?: string; toString(): string },
  store: MetaStore,
): string {
  const known = store.getMeta<string>("name");
  if (id.name && id.name !== known) store.setMeta("name", id.name);
  return id.name ?? known ?? id.toString();
}
