/**
 * The rule parameters of docs/rules.md as a zod schema: field checks, the spec's defaults and
 * the cross-field checks, with messages written for the operator who typed the JSON.
 * Field names are the admin API's snake_case.
 */
import { z } from "zod";
import { ConsequencesSchema } from "./consequences.ts";
import { isIanaTimeZone } from "./time-zone.ts";
import { SEVERITIES, TradeRulesSchema } from "./trade-rules/params.ts";

export const LIMIT_UNITS = ["percent", "amount"] as const;
export const DAILY_LOSS_BASES = ["initial_balance", "day_start"] as const;
export const DAILY_REFERENCES = ["balance", "max_balance_equity", "equity"] as const;
export const MAX_LOSS_MODES = ["static", "trailing", "eod_trailing", "balance_trailing"] as const;
/** Version 2: when equity at the floor is a breach. */
export const BREACH_AT = ["below", "at_or_below"] as const;
/** Version 2: how the daily reference moves within a day. */
export const DAILY_LOSS_MODES = ["fixed", "trailing_intraday_high"] as const;
/** Version 2: how a trading day is named. */
export const DAY_LABELS = ["open_date", "close_date"] as const;
/** Version 2: how a trailing max-loss allowance is sized. */
export const MAX_LOSS_TRAILS = ["fixed", "percent_of_peak"] as const;
/** Version 2: what a profit target is measured on. */
export const PROFIT_TARGET_ON = ["balance", "equity"] as const;

/** Smallest and largest accepted initial_balance (account currency). */
export const MIN_INITIAL_BALANCE = 0.01;
export const MAX_INITIAL_BALANCE = 1e12;
export const DEFAULT_CURRENCY_DIGITS = 2;

export const DEFAULT_TIMEZONE = "Europe/Prague";
export const DEFAULT_RESET_HOUR = 0;
export const DEFAULT_LIVE_ENTER_PCT = 97;
export const DEFAULT_LIVE_EXIT_PCT = 90;

const quoteAll = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(", ");

function numberField() {
  return z.number({
    error: (iss) => (iss.input === undefined ? "required" : "must be a finite number"),
  });
}

function positiveField() {
  return numberField().positive({ error: "must be greater than 0" });
}

function choiceField<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) =>
      iss.input === undefined
        ? `required: one of ${quoteAll(values)}`
        : `must be one of ${quoteAll(values)}`,
  });
}

/** A strict object: a misspelt field is an error rather than silently ignored. */
export function strictGroup<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") {
        return `unknown field ${quoteAll(iss.keys)}; expected ${quoteAll(known)}`;
      }
      return iss.input === undefined ? "required" : "must be an object";
    },
  });
}

const pctField = () =>
  numberField()
    .gt(0, { error: "must be between 0 and 100 (exclusive)" })
    .lt(100, { error: "must be between 0 and 100 (exclusive)" });

const hourMessage = "must be a whole hour from 0 to 23";
const minuteMessage = "must be a whole minute from 0 to 59";
const digitsMessage = "must be a whole number of digits from 0 to 8";
const daysMessage = "must be a whole number of days from 1 to 60";

/** `warn_at_pct`: up to 3 levels in (0, 100), strictly ascending. */
const warnLevelsField = () =>
  z
    .array(pctField(), {
      error: (iss) => (iss.input === undefined ? "required" : "must be an array of numbers"),
    })
    .max(3, { error: "at most 3 levels" })
    .refine((levels) => levels.every((level, i) => i === 0 || level > levels[i - 1]!), {
      error: "levels must be strictly ascending",
    });

/** Single fields, shared by the full schema and the preset overrides (which have no defaults). */
export const ruleFields = {
  initial_balance: positiveField()
    .refine((v) => v <= 0 || (v >= MIN_INITIAL_BALANCE && v <= MAX_INITIAL_BALANCE), {
      error: "must be between 0.01 and 1e12",
    })
    .describe("The account's starting balance (account currency), 0.01 to 1e12."),
  limit: positiveField().describe(
    "Loss allowance: % (unit percent, below 100) or account currency.",
  ),
  unit: choiceField(LIMIT_UNITS),
  severity: choiceField(SEVERITIES).describe(
    'hard (the default for loss rules): a breach fails the account; soft: the breach is recorded (severity soft) and the account stays active (docs/rules.md, "Severity of the loss rules").',
  ),
  basis: choiceField(DAILY_LOSS_BASES).describe(
    "What a percent daily limit is a percent of: initial_balance or the day's start level.",
  ),
  daily_reference: choiceField(DAILY_REFERENCES).describe(
    "The day's start level: balance at the boundary, or max(balance, equity) there.",
  ),
  timezone: z
    .string({ error: (iss) => (iss.input === undefined ? "required" : "must be a string") })
    .refine(isIanaTimeZone, {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is not an IANA time zone (such as "Europe/Prague" or "America/New_York")`,
    })
    .describe("IANA time zone of the daily reset."),
  hour: numberField()
    .int({ error: hourMessage })
    .min(0, { error: hourMessage })
    .max(23, { error: hourMessage })
    .describe("Local hour (0-23) at which a trading day starts."),
  mode: choiceField(MAX_LOSS_MODES).describe("How the overall floor moves."),
  lock_at_initial: z
    .boolean({ error: (iss) => (iss.input === undefined ? "required" : "must be true or false") })
    .describe("A trailing floor never rises above initial_balance."),
  minute: numberField()
    .int({ error: minuteMessage })
    .min(0, { error: minuteMessage })
    .max(59, { error: minuteMessage })
    .describe("Minute (0-59) of the reset hour at which a trading day starts (default 0)."),
  label: choiceField(DAY_LABELS).describe(
    "How a trading day is named: the local date of the boundary that opened it (open_date, default) or of the day's last instant (close_date).",
  ),
  daily_mode: choiceField(DAILY_LOSS_MODES).describe(
    "fixed (default): the day's reference is its start level; trailing_intraday_high: the highest equity since the boundary.",
  ),
  trail: choiceField(MAX_LOSS_TRAILS).describe(
    "fixed (default): the allowance is computed once; percent_of_peak: limit% of the high-water mark (trailing modes, percent unit).",
  ),
  breach_at: choiceField(BREACH_AT).describe(
    "below (default): equity strictly below a floor breaches; at_or_below: reaching it breaches.",
  ),
  currency_digits: numberField()
    .int({ error: digitsMessage })
    .min(0, { error: digitsMessage })
    .max(8, { error: digitsMessage })
    .describe(
      "Decimal digits of the account currency's smallest unit (default 2); floors are rounded to it.",
    ),
  warn_at_pct: warnLevelsField().describe(
    "Up to 3 usage levels (%) in (0, 100), ascending, at which a warning is raised once per rule and period.",
  ),
  live_enter_pct: pctField().describe("Usage (%) at or above which a polled account goes live."),
  live_exit_pct: pctField().describe("Usage (%) below which a live account returns to polling."),
};

/** `objectives.profit_target`: reached when `on` - initial_balance >= the target. */
export const ProfitTargetSchema = strictGroup({
  limit: ruleFields.limit.describe(
    "Profit target: % of initial_balance (unit percent) or account currency.",
  ),
  unit: ruleFields.unit,
  on: choiceField(PROFIT_TARGET_ON)
    .default("balance")
    .describe("What the profit is measured on: balance (default) or equity."),
});

/** `objectives` (version 2): they never fail an account; all met is recorded once. */
export const ObjectivesSchema = strictGroup({
  profit_target: ProfitTargetSchema.optional(),
  min_trading_days: numberField()
    .int({ error: daysMessage })
    .min(1, { error: daysMessage })
    .max(60, { error: daysMessage })
    .optional()
    .describe("Trading days (a day counts when the balance changed during it) required, 1-60."),
  consistency_pct: numberField()
    .min(1, { error: "must be between 1 and 100" })
    .max(100, { error: "must be between 1 and 100" })
    .optional()
    .describe("The best trading day's profit may be at most this % of the total profit."),
})
  .refine(
    (o) =>
      o.profit_target !== undefined ||
      o.min_trading_days !== undefined ||
      o.consistency_pct !== undefined,
    { error: "name at least one of profit_target, min_trading_days, consistency_pct" },
  )
  .describe("Objectives: progress is reported, never a failure.");

/** The loosely typed view the cross-field checks read: a merged object may still hold junk. */
interface CrossFieldView {
  daily_loss?: { limit?: unknown; unit?: unknown } | undefined;
  max_loss?: { limit?: unknown; unit?: unknown; mode?: unknown; trail?: unknown } | undefined;
  live_enter_pct?: unknown;
  live_exit_pct?: unknown;
}

/**
 * Checks that span fields: percent limits below 100 (the unit may come from a preset and the
 * limit from an override), 0 < live_exit_pct < live_enter_pct < 100, and
 * `max_loss.trail: percent_of_peak` only with a trailing mode and a percent limit.
 */
export function checkCrossFields(params: CrossFieldView, ctx: z.RefinementCtx): void {
  for (const rule of ["daily_loss", "max_loss"] as const) {
    const group = params[rule];
    if (group?.unit === "percent" && typeof group.limit === "number" && group.limit >= 100) {
      ctx.addIssue({
        code: "custom",
        path: [rule, "limit"],
        message: `a percent limit must be below 100 (got ${group.limit})`,
      });
    }
  }
  const max = params.max_loss;
  if (max?.trail === "percent_of_peak") {
    if (max.mode === "static" || max.mode === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["max_loss", "trail"],
        message:
          'percent_of_peak needs a trailing max_loss.mode ("trailing", "eod_trailing" or "balance_trailing"), not "static"',
      });
    } else if (max.unit === "amount") {
      ctx.addIssue({
        code: "custom",
        path: ["max_loss", "trail"],
        message:
          'percent_of_peak needs max_loss.unit "percent" (a fixed amount cannot grow with the peak)',
      });
    }
  }
  const enter = params.live_enter_pct;
  const exit = params.live_exit_pct;
  if (typeof enter === "number" && typeof exit === "number" && exit >= enter) {
    ctx.addIssue({
      code: "custom",
      path: ["live_exit_pct"],
      message: `must be below live_enter_pct (${enter}): 0 < live_exit_pct < live_enter_pct < 100 (got ${exit})`,
    });
  }
}

/**
 * The full parameter set of one account, with the spec's defaults. The version 2 fields are
 * optional and get no default here, so a version 1 rule set resolves exactly as before; the
 * engine reads a missing one as its default (see compiled.ts).
 */
export const RuleParamsSchema = strictGroup({
  initial_balance: ruleFields.initial_balance,
  daily_loss: strictGroup({
    limit: ruleFields.limit,
    unit: ruleFields.unit,
    basis: ruleFields.basis.default("initial_balance"),
    mode: ruleFields.daily_mode.optional(),
    severity: ruleFields.severity.optional(),
  }),
  daily_reference: ruleFields.daily_reference.default("balance"),
  daily_reset: strictGroup({
    timezone: ruleFields.timezone.default(DEFAULT_TIMEZONE),
    hour: ruleFields.hour.default(DEFAULT_RESET_HOUR),
    minute: ruleFields.minute.optional(),
    label: ruleFields.label.optional(),
  }).prefault({}),
  max_loss: strictGroup({
    limit: ruleFields.limit,
    unit: ruleFields.unit,
    mode: ruleFields.mode.default("static"),
    lock_at_initial: ruleFields.lock_at_initial.default(false),
    trail: ruleFields.trail.optional(),
    severity: ruleFields.severity.optional(),
  }),
  breach_at: ruleFields.breach_at.optional(),
  currency_digits: ruleFields.currency_digits.optional(),
  warn_at_pct: ruleFields.warn_at_pct.optional(),
  objectives: ObjectivesSchema.optional(),
  /** Version 3: rules on positions and closed trades (docs/trades.md); absent, none apply. */
  trade_rules: TradeRulesSchema.optional(),
  /** What a hard breach does (docs/enforcement.md, "Policy"); absent: record only. */
  consequences: ConsequencesSchema.optional(),
  live_enter_pct: ruleFields.live_enter_pct.default(DEFAULT_LIVE_ENTER_PCT),
  live_exit_pct: ruleFields.live_exit_pct.default(DEFAULT_LIVE_EXIT_PCT),
})
  .superRefine(checkCrossFields)
  .describe("The full drawdown rule parameters of one account (docs/rules.md).");

/** Resolved rule parameters: every field present. */
export type RuleParams = z.output<typeof RuleParamsSchema>;
export type LimitUnit = (typeof LIMIT_UNITS)[number];
export type DailyLossBasis = (typeof DAILY_LOSS_BASES)[number];
export type DailyReference = (typeof DAILY_REFERENCES)[number];
export type MaxLossMode = (typeof MAX_LOSS_MODES)[number];
export type BreachAt = (typeof BREACH_AT)[number];
export type DailyLossMode = (typeof DAILY_LOSS_MODES)[number];
export type DayLabel = (typeof DAY_LABELS)[number];
export type MaxLossTrail = (typeof MAX_LOSS_TRAILS)[number];
export type Objectives = NonNullable<RuleParams["objectives"]>;
