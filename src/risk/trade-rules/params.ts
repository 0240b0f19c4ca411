/**
 * `rules.trade_rules`: the rules a desk enforces on positions and closed trades, each with a
 * `severity` (soft by default) and an optional `escalate_after` (docs/trades.md, "Trade
 * rules"). Left out, an account is judged exactly as before.
 */
import { z } from "zod";
import { isIanaTimeZone } from "../time-zone.ts";

export const SEVERITIES = ["hard", "soft"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const TRADE_RULE_NAMES = [
  "stop_loss_required",
  "max_lots",
  "max_open_positions",
  "min_hold_s",
  "max_loss_per_trade",
  "max_floating_loss_per_symbol",
  "weekend_flat",
  "news",
  "inactivity_days",
] as const;
export type TradeRuleName = (typeof TRADE_RULE_NAMES)[number];

export const NEWS_IMPACTS = ["low", "medium", "high"] as const;
export type NewsImpact = (typeof NEWS_IMPACTS)[number];
export const NEWS_SCOPES = ["open", "close", "both"] as const;

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

const num = () =>
  z.number({ error: (iss) => (iss.input === undefined ? "required" : "must be a finite number") });
const positive = () => num().positive({ error: "must be greater than 0" });
const whole = (min: number, max: number) =>
  num()
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });
const choice = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (iss) =>
      `${iss.input === undefined ? "required" : "must be"} one of ${values.map((v) => `"${v}"`).join(", ")}`,
  });

/** A strict object (a misspelt field is an error), as `strictGroup` in ../params.ts (which imports this file). */
function strictGroup<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") {
        return `unknown field ${iss.keys.map((k) => `"${k}"`).join(", ")}; expected ${known.map((k) => `"${k}"`).join(", ")}`;
      }
      return iss.input === undefined ? "required" : "must be an object";
    },
  });
}

/** What every trade rule may add: how a breach counts. */
const severityFields = {
  severity: choice(SEVERITIES)
    .optional()
    .describe(
      "soft (default for trade rules): recorded, the account stays active; hard: fails it.",
    ),
  escalate_after: whole(1, 1000)
    .optional()
    .describe("The n-th soft violation of this rule is recorded hard and fails the account."),
};

const lossLimit = {
  limit: positive().describe("Loss cap: % of initial_balance (unit percent) or account currency."),
  unit: choice(["percent", "amount"] as const),
};

/** `"Fri 16:45"`: a weekday and a 24 h wall clock time. */
export const CUTOFF_PATTERN = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([01]\d|2[0-3]):([0-5]\d)$/;

/** A cutoff parsed into weekday (0 = Sunday) and minutes after local midnight. */
export function parseCutoff(cutoff: string): { weekday: number; minutes: number } | null {
  const match = CUTOFF_PATTERN.exec(cutoff);
  if (match === null) return null;
  return {
    weekday: WEEKDAYS.indexOf(match[1] as (typeof WEEKDAYS)[number]),
    minutes: Number(match[2]) * 60 + Number(match[3]),
  };
}

export const TradeRulesSchema = strictGroup({
  stop_loss_required: strictGroup({
    grace_s: whole(0, 86_400).default(60),
    ...severityFields,
  }).optional(),
  max_lots: strictGroup({
    total: positive().optional(),
    per_symbol: positive().optional(),
    ...severityFields,
  })
    .refine((r) => r.total !== undefined || r.per_symbol !== undefined, {
      error: "name total, per_symbol or both",
    })
    .optional(),
  max_open_positions: strictGroup({ limit: whole(1, 100_000), ...severityFields }).optional(),
  min_hold_s: strictGroup({ seconds: whole(1, 86_400), ...severityFields }).optional(),
  max_loss_per_trade: strictGroup({ ...lossLimit, ...severityFields }).optional(),
  max_floating_loss_per_symbol: strictGroup({ ...lossLimit, ...severityFields }).optional(),
  weekend_flat: strictGroup({
    cutoff: z
      .string({ error: 'must be a string such as "Fri 16:45"' })
      .regex(CUTOFF_PATTERN, { error: 'must be a weekday and a time, such as "Fri 16:45"' }),
    timezone: z
      .string({ error: (iss) => (iss.input === undefined ? "required" : "must be a string") })
      .refine(isIanaTimeZone, { error: 'is not an IANA time zone (such as "America/New_York")' }),
    ...severityFields,
  }).optional(),
  news: strictGroup({
    window_min: num()
      .min(0, { error: "must be from 0 to 120 minutes" })
      .max(120, { error: "must be from 0 to 120 minutes" })
      .default(2),
    impact: choice(NEWS_IMPACTS).default("high"),
    scope: choice(NEWS_SCOPES).default("open"),
    ...severityFields,
  }).optional(),
  inactivity_days: strictGroup({ days: whole(1, 3650), ...severityFields }).optional(),
})
  .superRefine((rules, ctx) => {
    for (const unit of ["max_loss_per_trade", "max_floating_loss_per_symbol"] as const) {
      const rule = rules[unit];
      if (rule?.unit === "percent" && rule.limit >= 100) {
        ctx.addIssue({
          code: "custom",
          path: [unit, "limit"],
          message: `a percent limit must be below 100 (got ${rule.limit})`,
        });
      }
    }
  })
  .describe("Rules on positions and closed trades (docs/trades.md).");

export type TradeRules = z.output<typeof TradeRulesSchema>;
