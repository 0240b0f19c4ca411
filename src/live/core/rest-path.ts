/**
 * The REST path's decisions, pure, like the event path's (event-path.ts): what one REST
 * answer about a held account (the watchdog's own re-read, or one the poll consumer took for
 * this monitor) does to its subscription, which problem it marks, and which commit the shell
 * carries out. The Durable Object carries the answer out (readings.ts); nothing here touches
 * storage, sockets or Postgres.
 */
import type { AppliedReading } from "../../domain/outcome.ts";
import { readSubscription, type CommitAction } from "./event-path.ts";
import type { Subscription, SubscriptionTable } from "./subscriptions.ts";

/** A REST answer as the shell hands it over (the MTAPI client's result, src/mtapi). */
export type RestAnswer =
  | { ok: true; summary: { equity: number; balance?: number | undefined } }
  | { ok: false; problem: string };

/** The outcome of one REST answer. */
export interface RestResult {
  /** The subscription judged; absent when the table no longer holds it (moved, released). */
  subscription?: Subscription;
  /**
   * The account's problem to record: `null` clears it (MTAPI answered), a name marks it (the
   * answer's own problem, or `invalid_rules`); absent when there is nothing to record.
   */
  problem?: string | null;
  /** The applied reading, when it was applied (the subscription's state is already moved). */
  outcome?: AppliedReading;
  /** What the shell does next: nothing, or carry out the commit. */
  action: "none" | CommitAction;
  /** Why the reading could not be judged (rules the runtime cannot evaluate), to log. */
  error?: unknown;
}

const NOTHING: RestResult = { action: "none" };

/**
 * One REST answer about `sub`: judged only while the table still holds that very
 * subscription, applied at `now` (the engine never moves its clock back), and the commit
 * decided as for an event.
 * @param now epoch ms on the monitor's clock, when the answer came.
 */
export function applyRestRead(
  table: SubscriptionTable,
  sub: Subscription,
  answer: RestAnswer,
  now: number,
): RestResult {
  if (table.get(sub.accountId) !== sub) return NOTHING;
  if (!answer.ok) return { subscription: sub, problem: answer.problem, action: "none" };
  let read;
  try {
    read = readSubscription(sub, answer.summary, now, "poll");
  } catch (error) {
    // The account's rules cannot be evaluated (e.g. a time zone the runtime rejects).
    return { subscription: sub, problem: "invalid_rules", action: "none", error };
  }
  if (!read.applied) return { subscription: sub, problem: null, action: "none" };
  return { subscription: sub, problem: null, outcome: read.outcome, action: read.action };
}
