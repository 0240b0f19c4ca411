/**
 * The rule parameters of risk-rules.md as a zod schema: field checks, the spec's defaults and
 * the cross-field checks, with messages written for the operator who typed the JSON.
 * Field names are the admin API's snake_case.
 */
import { z } from "zod";
import { isIanaTimeZone } from "./time-zone.ts";

export const LIMIT_UNITS = ["percent", "amount"] as const;
export const DAILY_LOSS_BASES = ["initial_balance", "day_start"] as const;
export const DAILY_REFERENCES = ["balance", "max_balance_equity"] as const;
export const MAX_LOSS_MODES = ["static", "trailing", "eod_trailing"] as const;

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

/** Single fields, shared by the full schema and the preset overrides (which have no defaults). */
export const ruleFields = {
  initial_balance: positiveField().describe("The account's starting balance (account currency)."),
  limit: positiveField().describe(
    "Loss allowance: % (unit percent, below 100) or account currency.",
  ),
  unit: choiceField(LIMIT_UNITS),
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
  live_enter_pct: pctField().describe("Usage (%) at or above which a polled account goes live."),
  live_exit_pct: pctField().describe("Usage (%) below which a live account returns to polling."),
};

/** The loosely typed view the cross-field checks read: a merged object may still hold junk. */
interface CrossFieldView {
  daily_loss?: { limit?: unknown; unit?: unknown } | undefined;
  max_loss?: { limit?: unknown; unit?: unknown } | undefined;
  live_enter_pct?: unknown;
  live_exit_pct?: unknown;
}

/**
 * Checks that span fields: percent limits below 100 (the unit may come from a preset and the
 * limit from an override) and 0 < live_exit_pct < live_enter_pct < 100.
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

/** The full parameter set of one account, with the spec's defaults. */
export const RuleParamsSchema = strictGroup({
  initial_balance: ruleFields.initial_balance,
  daily_loss: strictGroup({
    limit: ruleFields.limit,
    unit: ruleFields.unit,
    basis: ruleFields.basis.default("initial_balance"),
  }),
  daily_reference: ruleFields.daily_reference.default("balance"),
  daily_reset: strictGroup({
    timezone: ruleFields.timezone.default(DEFAULT_TIMEZONE),
    hour: ruleFields.hour.default(DEFAULT_RESET_HOUR),
  }).prefault({}),
  max_loss: strictGroup({
    limit: ruleFields.limit,
    unit: ruleFields.unit,
    mode: ruleFields.mode.default("static"),
    lock_at_initial: ruleFields.lock_at_initial.default(false),
  }),
  live_enter_pct: ruleFields.live_enter_pct.default(DEFAULT_LIVE_ENTER_PCT),
  live_exit_pct: ruleFields.live_exit_pct.default(DEFAULT_LIVE_EXIT_PCT),
})
  .superRefine(checkCrossFields)
  .describe("The full drawdown rule parameters of one account (risk-rules.md).");

/** Resolved rule parameters: every field present. */
export type RuleParams = z.output<typeof RuleParamsSchema>;
export type LimitUnit = (typeof LIMIT_UNITS)[number];
export type DailyLossBasis = (typeof DAILY_LOSS_BASES)[number];
export type DailyReference = (typeof DAILY_REFERENCES)[number];
export type MaxLossMode = (typeof MAX_LOSS_MODES)[number];
