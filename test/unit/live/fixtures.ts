/** Small fixtures for the live monitor's Node tests: rules, a live account, a table. */
import {
  initialState,
  resolveRules,
  type RiskState,
  type RuleParams,
} from "../../../src/risk/index.ts";
import {
  newSubscription,
  SubscriptionTable,
  type Subscription,
} from "../../../src/live/core/subscriptions.ts";

/** A fixed instant, mid trading day (Prague): 2026-03-10 12:00 UTC. */
export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);

/** FTMO two-step on 100,000: daily floor 95,000; 97% usage at 95,150, exit below 90%. */
export function ftmoRules(): RuleParams {
  const resolved = resolveRules({ preset: "ftmo-2step", initial_balance: 100_000 });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  return resolved.rules;
}

/** The engine's state of a live account opened at `equity` at `at`. */
export function liveState(rules: RuleParams, equity: number, at = T0): RiskState {
  return initialState(rules, { equity, balance: 100_000, at, source: "poll" }, "live");
}

/** A live subscription of account `id` (session `s<id>`), at 95,300 (94% of the daily allowance). */
export function liveSub(id: number, rules = ftmoRules(), equity = 95_300): Subscription {
  return newSubscription(
    {
      account_id: id,
      login: String(1000 + id),
      server: "Demo",
      session_id: `s${id}`,
      rules,
      risk_state: liveState(rules, equity),
    },
    rules,
    T0,
  );
}

/** A table holding the subscriptions. */
export function tableOf(...subs: Subscription[]): SubscriptionTable {
  const table = new SubscriptionTable();
  for (const s of subs) table.put(s);
  return table;
}
