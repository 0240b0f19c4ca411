/**
 * What the admin API accepts as an account's `rules`, and its resolution into the full
 * {@link RuleParams}: either a preset with initial_balance and deep-partial overrides, or the
 * full parameter set (docs/api.md, "Accounts").
 */
import { z } from "zod";
import { ConsequencesSchema } from "./consequences.ts";
import {
  ObjectivesSchema,
  type RuleParams,
  RuleParamsSchema,
  checkCrossFields,
  ruleFields,
  strictGroup,
} from "./params.ts";
import {
  PRESETS,
  PRESET_NAMES,
  type PresetName,
  type PresetRules,
  isPresetName,
} from "./presets.ts";
import { canonicalTimeZone } from "./time-zone.ts";
import { TradeRulesSchema } from "./trade-rules/params.ts";

/** A problem with the rules an operator sent; `path` is dotted, relative to `rules`. */
export interface RulesIssue {
  path: string;
  message: string;
}

export type ResolveRulesResult =
  { ok: true; rules: RuleParams; preset: PresetName | null } | { ok: false; issues: RulesIssue[] };

const presetField = z
  .enum(PRESET_NAMES, {
    error: (iss) =>
      `${iss.input === undefined ? "required" : `unknown preset ${JSON.stringify(iss.input)}`}; known presets: ${PRESET_NAMES.join(", ")}`,
  })
  .describe("Named rule preset.");

/** The preset form: `{ preset, initial_balance, ...overrides }`; overrides deep-merge into the preset. */
export const PresetRulesInputSchema = strictGroup({
  preset: presetField,
  initial_balance: ruleFields.initial_balance,
  daily_loss: strictGroup({
    limit: ruleFields.limit.optional(),
    unit: ruleFields.unit.optional(),
    basis: ruleFields.basis.optional(),
    mode: ruleFields.daily_mode.optional(),
    severity: ruleFields.severity.optional(),
  }).optional(),
  daily_reference: ruleFields.daily_reference.optional(),
  daily_reset: strictGroup({
    timezone: ruleFields.timezone.optional(),
    hour: ruleFields.hour.optional(),
    minute: ruleFields.minute.optional(),
    label: ruleFields.label.optional(),
  }).optional(),
  max_loss: strictGroup({
    limit: ruleFields.limit.optional(),
    unit: ruleFields.unit.optional(),
    mode: ruleFields.mode.optional(),
    lock_at_initial: ruleFields.lock_at_initial.optional(),
    trail: ruleFields.trail.optional(),
    severity: ruleFields.severity.optional(),
  }).optional(),
  breach_at: ruleFields.breach_at.optional(),
  currency_digits: ruleFields.currency_digits.optional(),
  warn_at_pct: ruleFields.warn_at_pct.optional(),
  objectives: ObjectivesSchema.optional(),
  trade_rules: TradeRulesSchema.optional(),
  /** What a hard breach does (docs/enforcement.md, "Policy"); absent: record only. */
  consequences: ConsequencesSchema.optional(),
  live_enter_pct: ruleFields.live_enter_pct.optional(),
  live_exit_pct: ruleFields.live_exit_pct.optional(),
})
  .superRefine((input, ctx) => {
    if (!isPresetName(input.preset)) return;
    const base = PRESETS[input.preset];
    // Switching a limit's unit without restating the limit (5 percent becoming 5 money units)
    // is almost certainly a mistake, so it must be said explicitly.
    for (const rule of ["daily_loss", "max_loss"] as const) {
      const override = input[rule];
      if (
        override?.unit !== undefined &&
        override.unit !== base[rule].unit &&
        override.limit === undefined
      ) {
        ctx.addIssue({
          code: "custom",
          path: [rule, "limit"],
          message: `required when changing unit from the preset's "${base[rule].unit}" to "${override.unit}"`,
        });
      }
    }
    checkCrossFields(mergePreset(base, input), ctx);
  })
  .describe("A preset with initial_balance and optional overrides of any field.");

export type PresetRulesInput = z.output<typeof PresetRulesInputSchema>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/**
 * The admin API's `rules`: one of the two forms. For OpenAPI it documents both (anyOf); as a
 * validator it reports the issues of the form the input is in (the preset form when it has
 * a `preset` field). `resolveRules` gives the same issues one by one, and the resolved set.
 */
export const RulesInputSchema = z
  .union([PresetRulesInputSchema, RuleParamsSchema], {
    error: (iss) => {
      if (iss.code !== "invalid_union") return undefined;
      if (!isRecord(iss.input)) {
        return "must be an object: { preset, initial_balance, ...overrides } or the full parameter set";
      }
      const branch = iss.errors["preset" in iss.input ? 0 : 1] ?? [];
      return branch.map((i) => `${issuePath(i.path) || "rules"}: ${i.message}`).join("; ");
    },
  })
  .describe(
    `Either { preset, initial_balance, ...overrides } (presets: ${PRESET_NAMES.join(", ")}; overrides deep-merge) or the full parameter set.`,
  );

export type RulesInput = z.input<typeof RulesInputSchema>;

type RulesGroup = "daily_loss" | "daily_reset" | "max_loss";

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  const result: Partial<T> = {};
  if (value === undefined) return result;
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) result[key] = value[key];
  }
  return result;
}

/** The preset with the overrides deep-merged in, and the account's initial_balance. */
export function mergePreset(
  base: Readonly<PresetRules> | PresetRules,
  overrides: Omit<PresetRulesInput, "preset">,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base, ...definedOnly(overrides) };
  delete merged.preset;
  for (const group of ["daily_loss", "daily_reset", "max_loss"] as const satisfies RulesGroup[]) {
    merged[group] = { ...base[group], ...definedOnly<object>(overrides[group]) };
  }
  return merged;
}

function toIssues(error: z.ZodError): RulesIssue[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
}

/**
 * Validates an account's `rules` (either form) and resolves it to the full parameter set.
 * `preset` is the preset it came from, or null for the full form. Never throws.
 */
export function resolveRules(input: unknown): ResolveRulesResult {
  if (!isRecord(input)) {
    return {
      ok: false,
      issues: [
        {
          path: "",
          message:
            "must be an object: { preset, initial_balance, ...overrides } or the full parameter set",
        },
      ],
    };
  }
  let candidate: unknown = input;
  let preset: PresetName | null = null;
  if ("preset" in input) {
    const parsed = PresetRulesInputSchema.safeParse(input);
    if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
    preset = parsed.data.preset;
    candidate = mergePreset(PRESETS[preset], parsed.data);
  }
  const parsed = RuleParamsSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  const rules = parsed.data;
  rules.daily_reset.timezone = canonicalTimeZone(rules.daily_reset.timezone);
  return { ok: true, rules, preset };
}
