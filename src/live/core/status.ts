/** The live monitor's figures, as `GET /v1/monitor` shows them (docs/api.md). */
import { maskSecret, redactText } from "../../domain/redact.ts";
import type { LinkStatus } from "./connection.ts";
import type { FrameItem } from "./parse-frame.ts";
import { healthOf, type Coverage, type HealthReason } from "./health.ts";
import type { LagFigures } from "./lag.ts";
import type { PersistFigures } from "./persist-backlog.ts";
import type { Subscription } from "./subscriptions.ts";

export interface MonitorCounters {
  /** Account events received (every item of every frame, acknowledgements aside). */
  received: number;
  applied: number;
  /** Events that named no routing key. */
  unroutable: number;
  /** Events for accounts not currently subscribed. */
  unsubscribed: number;
  /** Malformed frames or items. */
  invalid: number;
  /** Events older than the newest applied to their account. */
  stale: number;
  /** Account events of a type that carries no equity (counted, not applied). */
  no_equity: number;
  /** Account events whose figures are not yet the account's (`synced: false`, zeros): not applied. */
  unsynced: number;
  /** Events applied after correcting a learned server-time offset (core/server-time.ts). */
  server_time: number;
  acks: number;
  service_errors: number;
  /** The last few unroutable events, for diagnosis. */
  unroutable_samples: string[];
  /** The last few events refused for their time stamp, for diagnosis. */
  invalid_samples: string[];
}

/** The name of a counter (every field but the samples). */
export type CounterName = Exclude<keyof MonitorCounters, "unroutable_samples" | "invalid_samples">;

/** Samples kept per list, for diagnosis. */
const SAMPLES = 5;

export function newCounters(): MonitorCounters {
  return {
    received: 0,
    applied: 0,
    unroutable: 0,
    unsubscribed: 0,
    invalid: 0,
    stale: 0,
    no_equity: 0,
    unsynced: 0,
    server_time: 0,
    acks: 0,
    service_errors: 0,
    unroutable_samples: [],
    invalid_samples: [],
  };
}

/** Adds one to each named counter. */
export function addCounts(c: MonitorCounters, counts: readonly CounterName[]): void {
  for (const name of counts) c[name]++;
}

/**
 * Keeps an unroutable item among the last few samples (at most 300 characters each); true
 * when this one deserves a log line (the first ten, then one per thousand).
 */
export function sampleUnroutable(c: MonitorCounters, item: FrameItem): boolean {
  keepSample(c.unroutable_samples, item);
  return logWorthy(c.unroutable);
}

/** Whether the `count`-th occurrence of a repeated event is logged: the first ten, then one per thousand. */
export function logWorthy(count: number): boolean {
  return count <= 10 || count % 1000 === 0;
}

/**
 * What a sample keeps of a frame item: its kind, routing keys and figures, the session id
 * masked (docs/security.md: samples are read by every role and kept in the monitor's storage).
 */
export function sampleOf(item: FrameItem): Record<string, unknown> {
  switch (item.kind) {
    case "event":
    case "no_equity": {
      const { sessionId, login, server, accountId } = item.keys;
      const keys = {
        ...(sessionId !== undefined ? { sessionId: maskSecret(sessionId) } : {}),
        ...(login !== undefined ? { login } : {}),
        ...(server !== undefined ? { server } : {}),
        ...(accountId !== undefined ? { accountId } : {}),
      };
      return item.kind === "event"
        ? { kind: item.kind, keys, equity: item.equity, balance: item.balance, ts: item.ts }
        : { kind: item.kind, keys, type: item.type };
    }
    case "ack":
      return { kind: item.kind, type: item.type };
    case "service_error":
      return { kind: item.kind, message: redactText(item.message) };
    case "invalid":
      return { kind: item.kind, reason: redactText(item.reason) };
  }
}

/** One stored sample made safe to show: credential-looking pairs and URLs masked. */
export function scrubSample(sample: string): string {
  return redactText(sample);
}

/** Keeps an item, masked ({@link sampleOf}), among the last few samples (at most 300 characters each). */
export function keepSample(samples: string[], item: FrameItem): void {
  if (samples.length >= SAMPLES) samples.shift();
  samples.push(scrubSample(JSON.stringify(sampleOf(item)).slice(0, 300)));
}

export interface MonitorStatus {
  connection: LinkStatus;
  subscriptions: number;
  events: Omit<MonitorCounters, "unroutable_samples" | "invalid_samples">;
  /** Changes waiting in the outbox for Postgres. */
  pending_writes: number;
  /** Age of timestamped events when applied (receive clock minus event time). */
  lag: LagFigures;
  unroutable_samples: string[];
  invalid_samples: string[];
  /** Age of the oldest pending write (s); 0 when none. */
  oldest_pending_s: number;
  /** Outbox entries set aside after failing on their own. */
  dead_letters: number;
  /** Coverage of this monitor's live accounts. */
  coverage: Coverage;
  /** How long the link has not been open while holding subscriptions (s); 0 when open. */
  link_down_s: number;
  /** Risk rows rewritten to the object's storage per tick (bounded; persist-backlog.ts). */
  rows_persisted_per_tick: PersistFigures;
  /** This monitor's health alone (the API adds the polled accounts' coverage). */
  health: "ok" | "degraded";
  reasons: HealthReason[];
}

/** What a monitor's status is made of, beyond the version 1 figures. */
export interface StatusParts {
  oldestPendingS: number;
  deadLetters: number;
  coverage: Coverage;
  linkDownS: number;
  persisted: PersistFigures;
}

/** The status from its parts; the counters' samples are shown apart from the figures. */
export function monitorStatus(
  connection: LinkStatus,
  subscriptions: number,
  counters: MonitorCounters,
  pendingWrites: number,
  lag: LagFigures,
  parts: StatusParts,
): MonitorStatus {
  const { unroutable_samples, invalid_samples, ...events } = counters;
  return {
    connection,
    subscriptions,
    events,
    pending_writes: pendingWrites,
    lag,
    unroutable_samples,
    invalid_samples,
    oldest_pending_s: parts.oldestPendingS,
    dead_letters: parts.deadLetters,
    coverage: parts.coverage,
    link_down_s: parts.linkDownS,
    rows_persisted_per_tick: parts.persisted,
    ...healthOf({ ...parts, accountsStale: parts.coverage.accounts_stale }),
  };
}

export interface SubscriptionInfo {
  account_id: number;
  login: string;
  server: string;
  session_id: string;
  subscribed_at: string;
  last_event_at: string | null;
}

/** A subscription as `GET /v1/monitor/subscriptions` lists it (session ids unmasked). */
export function subscriptionInfo(s: Subscription): SubscriptionInfo {
  return {
    account_id: s.accountId,
    login: s.login,
    server: s.server,
    session_id: s.sessionId,
    subscribed_at: new Date(s.subscribedAt).toISOString(),
    last_event_at: s.lastEventAt ? new Date(s.lastEventAt).toISOString() : null,
  };
}
