/**
 * Named rule presets: approximations of public prop-firm rules (docs/rules.md, "Presets").
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
  "balance-trailing-style",
  "hyrotrader-style",
  "futures-eod-style",
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

/** The presets of version 1 (docs/rules.md, "Presets"), unchanged by version 2. */
export const PRESET_NAMES_V1 = [
  "ftmo-2step",
  "ftmo-1step",
  "the5ers-highstakes",
  "fundednext-2step",
  "topstep-style",
] as const satisfies readonly PresetName[];

/** A preset: the full parameter set but initial_balance. */
export type PresetRules = Omit<RuleParams, "initial_balance">;

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

function preset(rules: PresetRules): DeepReadonly<PresetRules> {
  Object.freeze(rules.daily_loss);
  Object.freeze(rules.daily_reset);
  Object.freeze(rules.max_loss);
  if (rules.warn_at_pct) Object.freeze(rules.warn_at_pct);
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
  // Version 2 (docs/rules.md, "Presets, version 2").
  "balance-trailing-style": preset({
    daily_loss: { limit: 4, unit: "percent", basis: "day_start" },
    daily_reference: "balance",
    daily_reset: { timezone: "UTC", hour: 0, minute: 30 },
    max_loss: { limit: 6, unit: "percent", mode: "balance_trailing", lock_at_initial: true },
    breach_at: "at_or_below",
    ...HYSTERESIS,
  }),
  "hyrotrader-style": preset({
    daily_loss: {
      limit: 5,
      unit: "percent",
      basis: "initial_balance",
      mode: "trailing_intraday_high",
    },
    daily_reference: "balance",
    daily_reset: { timezone: "UTC", hour: 0 },
    max_loss: { limit: 10, unit: "percent", mode: "static", lock_at_initial: false },
    breach_at: "at_or_below",
    ...HYSTERESIS,
  }),
  "futures-eod-style": preset({
    daily_loss: { limit: 2, unit: "percent", basis: "initial_balance" },
    daily_reference: "balance",
    daily_reset: { timezone: "America/Chicago", hour: 17, label: "close_date" },
    max_loss: { limit: 4, unit: "percent", mode: "eod_trailing", lock_at_initial: true },
    ...HYSTERESIS,
  }),
});

/** The firms whose public rules each preset approximates (for `GET /v1/presets`). */
export const PRESET_NOTES: Readonly<Record<PresetName, string>> = Object.freeze({
  "ftmo-2step": "FTMO 2-Step style: 5% daily on the day-start balance, 10% static.",
  "ftmo-1step": "FTMO 1-Step style: 3% daily, 10% trailing on end-of-day balances.",
  "the5ers-highstakes":
    "The5ers High Stakes style: 5% of max(balance, equity) at 17:00 New York, 10% static.",
  "fundednext-2step": "FundedNext 2-Step style: 5% daily (Athens midnight), 10% static.",
  "topstep-style": "Topstep style: end-of-day trailing 4%, locked at the initial balance.",
  "balance-trailing-style":
    "Breakout / E8 style: 4% of the day start at 00:30 UTC, 6% trailing the closed balance, locked; equity at a floor fails.",
  "hyrotrader-style":
    "HyroTrader style: 5% daily trailing the intraday equity high, 10% static; equity at a floor fails.",
  "futures-eod-style":
    "Futures firms style: 17:00 Chicago reset, days named by their closing date, 4% end-of-day trailing, locked.",
});

/** True when `name` is one of {@link PRESET_NAMES}. */
export function isPresetName(name: unknown): name is PresetName {
  return typeof name === "string" && Object.hasOwn(PRESETS, name);
}
