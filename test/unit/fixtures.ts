/**
 * The fixtures of the Node tests (test/unit), in one module: rules (resolved, the FTMO preset,
 * a full rules input), the engine's evaluations, an independent wall clock for trading-day
 * tests, live accounts and subscription tables, and a strict CSV reader. Pure: no Node
 * imports, so the worker tests may use it too (test/worker/fixtures.ts).
 */
import {
  initialState,
  resolveRules,
  type AppliedEvaluation,
  type Evaluation,
  type Reading,
  type ResolveRulesResult,
  type RiskState,
  type RuleParams,
} from "../../src/risk/index.ts";
import {
  newSubscription,
  SubscriptionTable,
  type Subscription,
} from "../../src/live/core/subscriptions.ts";

/** A fixed instant, mid trading day (Prague): 2026-03-10 12:00 UTC. */
export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);

// ---- rules --------------------------------------------------------------------------

/** Resolved rules, or a thrown error with the issues. */
export function rules(input: unknown): RuleParams {
  const resolved = resolveRules(input);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  return resolved.rules;
}

/** A preset's rules on an initial balance of 100,000. */
export function presetRules(preset: string): RuleParams {
  return rules({ preset, initial_balance: 100_000 });
}

/** FTMO two-step on 100,000: daily floor 95,000; 97% usage at 95,150, exit below 90%. */
export function ftmoRules(): RuleParams {
  return presetRules("ftmo-2step");
}

/** A rules input naming every version 1 parameter (the FTMO two-step's values). */
export const FULL_RULES_INPUT = {
  initial_balance: 100_000,
  daily_loss: { limit: 5, unit: "percent", basis: "initial_balance" },
  daily_reference: "balance",
  daily_reset: { timezone: "Europe/Prague", hour: 0 },
  max_loss: { limit: 10, unit: "percent", mode: "static", lock_at_initial: false },
  live_enter_pct: 97,
  live_exit_pct: 90,
} as const;

/** The issues of rejected rules, by path; throws when the rules were accepted. */
export function issuesOf(result: ResolveRulesResult): Record<string, string> {
  if (result.ok) throw new Error("expected the rules to be rejected");
  return Object.fromEntries(result.issues.map((issue) => [issue.path, issue.message]));
}

/** The evaluation, asserted applied. */
export function applied(evaluation: Evaluation): AppliedEvaluation {
  if (!evaluation.applied) throw new Error(`reading not applied: ${evaluation.reason}`);
  return evaluation;
}

// ---- wall clock -----------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The local date and minute of the day of an instant in a zone: an independent reading of the
 * wall clock, so the trading-day tests do not trust the engine's own helper.
 */
export function local(atMs: number, timezone: string): { date: string; minutes: number } {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timezone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(atMs).map((p) => [p.type, p.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The calendar date after `day` (`YYYY-MM-DD`). */
export function nextDate(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

// ---- live accounts ----------------------------------------------------------------------

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

// ---- CSV --------------------------------------------------------------------------------

/**
 * Parses RFC 4180 CSV strictly (CRLF rows, quoted cells, doubled quotes): a bare quote or
 * newline, or an unterminated quote, throws, so a test reading an export also checks its form.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quote");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r") {
        if (text[i] === '"' || text[i] === "\n") throw new Error(`bare ${text[i]} at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ",") i++;
    else if (text[i] === "\r" && text[i + 1] === "\n") {
      rows.push(row);
      row = [];
      i += 2;
    } else throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  return rows;
}

/**
 * The clock of the worked examples (docs/rules.md, "Worked examples"): minutes from their
 * start, 2026-11-26 06:00 UTC, and readings at those minutes, as the examples state them.
 */
export const EXAMPLE_CLOCK = (() => {
  const T0 = Date.parse("2026-11-26T06:00:00Z");
  const at = (minutes: number): number => T0 + minutes * 60_000;
  const read = (equity: number, minutes: number, balance?: number): Reading =>
    balance === undefined
      ? { equity, at: at(minutes), source: "event" }
      : { equity, balance, at: at(minutes), source: "event" };
  return { T0, DAY_MS: 86_400_000, at, read };
})();
