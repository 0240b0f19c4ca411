/**
 * The live monitor's in-memory subscription table and the routing of events to it
 * (docs/wire-contract.md "Routing"): by session_id, then login+server, then account_id, using
 * only the first key the event carries. An event that names no key is unroutable; one whose
 * key matches no subscription is unsubscribed. Neither is ever applied to another account.
 */
import { copyState, type RiskState, type RuleParams } from "../../risk/index.ts";
import type { RouteKeys } from "./parse-frame.ts";

/** What a subscriber hands the monitor about an account. */
export interface SubscribeInput {
  account_id: number;
  login: string;
  server: string;
  session_id: string;
  rules: RuleParams;
  /** The risk engine's state as the poller left it; null before any reading. */
  risk_state: RiskState | null;
  /** The version of `rules` (kept in a breach's evidence). */
  rules_version?: number | undefined;
}

/**
 * A live account as the monitor holds it: routing keys, rules, the engine's state and the
 * watchdog's clocks. Write-behind bookkeeping (what Postgres has not seen yet) is the
 * writer's (writer.ts), not the subscription's.
 */
export interface Subscription {
  accountId: number;
  login: string;
  server: string;
  sessionId: string;
  rules: RuleParams;
  /** The version of `rules`, when the subscriber knew it. */
  rulesVersion?: number | undefined;
  risk: RiskState | null;
  /** Epoch ms the account was subscribed. */
  subscribedAt: number;
  /** Epoch ms the last event for it arrived (receive clock); 0 if none yet. */
  lastEventAt: number;
  /** Newest event timestamp applied (the service's clock); stale events are older. */
  lastEventTs: number;
  /** Epoch ms of the last REST read by the watchdog. */
  lastRestAt: number;
  /**
   * Leaving live monitoring (breached, or below the exit threshold): still watched until its
   * change is acknowledged by Postgres, so no account goes unwatched during an outage.
   */
  leaving: boolean;
}

/**
 * The subscription an input makes, merged with the one the monitor already holds (if any):
 * keys and rules come from the input; the clocks carry over; the risk state carried over is
 * the newer of the two (a subscriber's snapshot never rolls back what events moved since).
 * @param rules the input's rules, interned by the caller.
 * @param now epoch ms, the subscription time of a new account.
 */
export function mergeSubscription(
  existing: Subscription | undefined,
  input: SubscribeInput,
  rules: RuleParams,
  now: number,
): Subscription {
  const keepOurs =
    existing?.risk && input.risk_state && existing.risk.last_at > input.risk_state.last_at;
  return {
    accountId: input.account_id,
    login: String(input.login),
    server: input.server,
    sessionId: input.session_id,
    rules,
    rulesVersion: input.rules_version ?? existing?.rulesVersion,
    // The monitor updates the state in place (risk/step.ts): it holds
    // its own copy, in the engine's one shape, never the caller's object.
    risk: keepOurs
      ? existing!.risk
      : input.risk_state
        ? copyState(input.risk_state)
        : (existing?.risk ?? null),
    subscribedAt: existing?.subscribedAt ?? now,
    lastEventAt: existing?.lastEventAt ?? 0,
    lastEventTs: existing?.lastEventTs ?? 0,
    lastRestAt: existing?.lastRestAt ?? now,
    leaving: false,
  };
}

/** A subscription for an account the monitor does not hold yet. */
export function newSubscription(
  input: SubscribeInput,
  rules: RuleParams,
  now: number,
): Subscription {
  return mergeSubscription(undefined, input, rules, now);
}

/** True when the Events service knows the account under other keys now (resubscribe it). */
export function keysChanged(before: Subscription, after: Subscription): boolean {
  return (
    before.sessionId !== after.sessionId ||
    before.login !== after.login ||
    before.server !== after.server
  );
}

function loginServerKey(login: string, server: string): string {
  return `${login}\u0000${server}`;
}

export class SubscriptionTable {
  private readonly byAccount = new Map<number, Subscription>();
  private readonly bySession = new Map<string, Subscription>();
  private readonly byLoginServer = new Map<string, Subscription>();

  get size(): number {
    return this.byAccount.size;
  }

  values(): IterableIterator<Subscription> {
    return this.byAccount.values();
  }

  get(accountId: number): Subscription | undefined {
    return this.byAccount.get(accountId);
  }

  /** Adds or replaces the subscription of an account (its keys may have changed). */
  put(sub: Subscription): void {
    this.delete(sub.accountId);
    this.byAccount.set(sub.accountId, sub);
    this.bySession.set(sub.sessionId, sub);
    this.byLoginServer.set(loginServerKey(sub.login, sub.server), sub);
  }

  delete(accountId: number): Subscription | undefined {
    const sub = this.byAccount.get(accountId);
    if (!sub) return undefined;
    this.byAccount.delete(accountId);
    if (this.bySession.get(sub.sessionId) === sub) this.bySession.delete(sub.sessionId);
    const ls = loginServerKey(sub.login, sub.server);
    if (this.byLoginServer.get(ls) === sub) this.byLoginServer.delete(ls);
    return sub;
  }

  /**
   * Routes an event by the first key it carries (docs/wire-contract.md, "Routing"): the
   * subscription, or why none; no record is made per event (the event path).
   */
  find(keys: RouteKeys): Subscription | "unroutable" | "unsubscribed" {
    let sub: Subscription | undefined;
    if (keys.sessionId !== undefined) sub = this.bySession.get(keys.sessionId);
    else if (keys.login !== undefined && keys.server !== undefined)
      sub = this.byLoginServer.get(loginServerKey(keys.login, keys.server));
    else if (keys.accountId !== undefined) sub = this.byAccount.get(keys.accountId);
    else return "unroutable";
    return sub ?? "unsubscribed";
  }
}

/** The subscribe frame of an account (docs/wire-contract.md, "Subscribe frames": `login` is a string). */
export function subscribeFrame(
  action: "subscribe" | "unsubscribe",
  s: { login: string; server: string; sessionId: string },
): string {
  return JSON.stringify({
    action,
    login: String(s.login),
    server: s.server,
    session_id: s.sessionId,
  });
}
