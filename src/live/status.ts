/** The live monitor's figures, as `GET /v1/monitor` shows them (admin-api.md). */
import type { LinkStatus } from "./events-link.ts";
import type { LagFigures } from "./lag.ts";

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
  acks: number;
  service_errors: number;
  /** The last few unroutable events, for diagnosis. */
  unroutable_samples: string[];
}

export function newCounters(): MonitorCounters {
  return {
    received: 0,
    applied: 0,
    unroutable: 0,
    unsubscribed: 0,
    invalid: 0,
    stale: 0,
    no_equity: 0,
    acks: 0,
    service_errors: 0,
    unroutable_samples: [],
  };
}

export interface MonitorStatus {
  connection: LinkStatus;
  subscriptions: number;
  events: Omit<MonitorCounters, "unroutable_samples">;
  /** Changes waiting in the outbox for Postgres. */
  pending_writes: number;
  /** Age of timestamped events when applied (receive clock minus event time). */
  lag: LagFigures;
  unroutable_samples: string[];
}

export interface SubscriptionInfo {
  account_id: number;
  login: string;
  server: string;
  session_id: string;
  subscribed_at: string;
  last_event_at: string | null;
}
