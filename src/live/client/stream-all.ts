/**
 * `STREAM_ALL=1`: every active account is streamed live, not only those near a floor. The
 * rules each account is judged by keep their floors and get the hysteresis band 0/0: usage
 * (never below 0, src/risk/floors.ts) is always >= 0, so a polled account enters live on its
 * next reading, and never < 0, so a live one never leaves it for usage (a breach still ends
 * it). Polling stays the safety net: the monitor re-reads quiet accounts over REST, and an
 * account whose hand-off failed is polled until it is live.
 */
import type { RuleParams } from "../../risk/index.ts";

/** Whether every active account is streamed (`STREAM_ALL` is `1` or `true`). */
export function streamsAll(env: { STREAM_ALL?: string | undefined }): boolean {
  const raw = (env.STREAM_ALL ?? "").trim().toLowerCase();
  return raw === "1" || raw === "true";
}

/** The rules as judged under `STREAM_ALL`: the same floors, the hysteresis band at 0/0. */
export function streamingRules(rules: RuleParams): RuleParams {
  if (rules.live_enter_pct === 0 && rules.live_exit_pct === 0) return rules;
  return { ...rules, live_enter_pct: 0, live_exit_pct: 0 };
}

/** The rules an account is judged by under this configuration. */
export function rulesFor(env: { STREAM_ALL?: string | undefined }, rules: RuleParams): RuleParams {
  return streamsAll(env) ? streamingRules(rules) : rules;
}
