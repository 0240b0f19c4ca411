/** The simulator's observable state, as `GET /control/state` answers it. */
import type { HubState } from "./hub.ts";

/** MTAPI REST counters. */
export interface RestState {
  /** AccountSummary requests answered (any status). */
  requests: number;
  /** Of those, for a session the book does not know. */
  unknown: number;
  /** Of those, for an expired session. */
  expired: number;
  /** Global delay of every answer, ms. */
  delay_ms: number;
  /** AccountSummary requests received and not answered yet (held by a delay). */
  in_flight: number;
  /** ConnectByToken, ConnectEx and CheckConnect calls answered. */
  session_calls: number;
}

export interface SimState extends HubState {
  rest: RestState;
  /** Accounts in the book. */
  accounts: number;
}

export function emptyRestState(): RestState {
  return { requests: 0, unknown: 0, expired: 0, delay_ms: 0, in_flight: 0, session_calls: 0 };
}
