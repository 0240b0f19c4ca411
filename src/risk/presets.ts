/**
 * Named rule presets: approximations of public prop-firm rules (risk-rules.md, "Presets").
 * Firms change their rules, so every field can be overridden when an account is created.
 * A preset holds everything except initial_balance, which is per account.
 */
import type { RuleParams } from "./params.ts";

export const PRESET_NAMES = [
  "ftmo-2step",
  "ftmo-1step",
  "the5ers-highstakes",
  "fundednext-2step",
  "topstep-style",
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

/** A preset: the full parameter set but initial_balance. */
export type PresetRules = Omit<RuleParams, "initial_balance">;

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

function preset(rules: PresetRules): DeepReadonly<PresetRules> {
  Object.freeze(rules.daily_loss);
  Object.freeze(rules.daily_reset);
  Object.freeze(rules.max_loss);
  return Object.freeze(rules);
}

const HYSTERESIS = { live_enter_pct: 97, live_exit_pct: 90 } as const;

/** The presets, frozen. Resolve one with `resolveRules({ preset, initial_balance })`. */
export const PRESETS: Readonly<Record<PresetName, DeepReadonly<PresetRules>>> = Object.freeze({
  "ftmo-2step": preset({
    daily_loss: { limit: 5, unit: "percent", basis: "initial_balance" },
    daily_reference: "balance",
    daily_reset: { timezone: "Europe/Prague", hour: 0 },
    max_loss: { limit: 10, unit: "percent", mode: "static", lock_at_initial: false },
    ...HYSTERESIS,
  }),
  "ftmo-1step": preset({
    daily_loss: { limit: 3, unit: "percent", basis: "initial_balance" },
    daily_reference: "balance",
    daily_reset: { timezone: "Europe/Prague", hour: 0 },
    max_loss: { limit: 10, unit: "percent", mode: "eod_trailing", lock_at_initial: false },
    ...HYSTERESIS,
  }),
  "the5ers-highstakes": preset({
    daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
    daily_reference: "max_balance_equity",
    daily_reset: { timezone: "America/New_York", hour: 17 },
    max_loss: { limit: 10, unit: "percent", mode: "static", lock_at_initial: false },
    ...HYSTERESIS,
  }),
  "fundednext-2step": preset({
    daily_loss: { limit: 5, unit: "percent", basis: "initial_balance" },
    daily_reference: "balance",
    daily_reset: { timezone: "Europe/Athens", hour: 0 },
    max_loss: { limit: 10, unit: "percent", mode: "static", lock_at_initial: false },
    ...HYSTERESIS,
  }),
  "topstep-style": preset({
    daily_loss: { limit: 5, unit: "percent", basis: "initial_balance" },
    daily_reference: "balance",
    daily_reset: { timezone: "America/Chicago", hour: 17 },
    max_loss: { limit: 4, unit: "percent", mode: "eod_trailing", lock_at_initial: true },
    ...HYSTERESIS,
  }),
});

/** True when `name` is one of {@link PRESET_NAMES}. */
export function isPresetName(name: unknown): name is PresetName {
  return typeof name === "string" && Object.hasOwn(PRESETS, name);
}
