import { describe, expect, it } from "vitest";
import {
  PRESETS,
  PRESET_NAMES,
  PRESET_NAMES_V1,
  type ResolveRulesResult,
  RuleParamsSchema,
  RulesInputSchema,
  resolveRules,
} from "../../../src/risk/index.ts";
import { FULL_RULES_INPUT as full, issuesOf } from "../fixtures.ts";

describe("presets", () => {
  const table = {
    "ftmo-2step": [5, "balance", "initial_balance", "Europe/Prague", 0, 10, "static", false],
    "ftmo-1step": [3, "balance", "initial_balance", "Europe/Prague", 0, 10, "eod_trailing", false],
    "the5ers-highstakes": [
      5,
      "max_balance_equity",
      "day_start",
      "America/New_York",
      17,
      10,
      "static",
      false,
    ],
    "fundednext-2step": [5, "balance", "initial_balance", "Europe/Athens", 0, 10, "static", false],
    "topstep-style": [
      5,
      "balance",
      "initial_balance",
      "America/Chicago",
      17,
      4,
      "eod_trailing",
      true,
    ],
  } as const;

  it.each(PRESET_NAMES_V1)("resolves %s to the spec's preset table", (name) => {
    const [daily, reference, basis, timezone, hour, max, mode, lock] = table[name];
    const result = resolveRules({ preset: name, initial_balance: 25_000 });
    expect(result).toEqual({
      ok: true,
      preset: name,
      rules: {
        initial_balance: 25_000,
        daily_loss: { limit: daily, unit: "percent", basis },
        daily_reference: reference,
        daily_reset: { timezone, hour },
        max_loss: { limit: max, unit: "percent", mode, lock_at_initial: lock },
        live_enter_pct: 97,
        live_exit_pct: 90,
      },
    });
  });

  it("validates every preset against the full schema", () => {
    for (const name of PRESET_NAMES) {
      expect(RuleParamsSchema.safeParse({ ...PRESETS[name], initial_balance: 1 }).success).toBe(
        true,
      );
    }
  });

  it("deep-merges overrides into the preset and leaves the preset untouched", () => {
    const result = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 200_000,
      daily_loss: { limit: 4 },
      daily_reset: { hour: 23 },
      max_loss: { mode: "trailing", lock_at_initial: true },
      live_exit_pct: 85,
    });
    expect(result).toEqual({
      ok: true,
      preset: "ftmo-2step",
      rules: {
        initial_balance: 200_000,
        daily_loss: { limit: 4, unit: "percent", basis: "initial_balance" },
        daily_reference: "balance",
        daily_reset: { timezone: "Europe/Prague", hour: 23 },
        max_loss: { limit: 10, unit: "percent", mode: "trailing", lock_at_initial: true },
        live_enter_pct: 97,
        live_exit_pct: 85,
      },
    });
    expect(PRESETS["ftmo-2step"].daily_loss.limit).toBe(5);
    expect(Object.isFrozen(PRESETS["ftmo-2step"].daily_loss)).toBe(true);
  });

  it("returns fresh objects that the caller may change", () => {
    const a = resolveRules({ preset: "ftmo-2step", initial_balance: 1_000 });
    const b = resolveRules({ preset: "ftmo-2step", initial_balance: 1_000 });
    if (!a.ok || !b.ok) throw new Error("expected both to resolve");
    a.rules.daily_reset.hour = 5;
    expect(b.rules.daily_reset.hour).toBe(0);
  });
});

describe("the full parameter set", () => {
  it("accepts the full set and reports no preset", () => {
    expect(resolveRules(full)).toEqual({ ok: true, preset: null, rules: full });
  });

  it("fills in the spec's defaults", () => {
    const result = resolveRules({
      initial_balance: 10_000,
      daily_loss: { limit: 500, unit: "amount" },
      max_loss: { limit: 1_000, unit: "amount" },
    });
    expect(result).toEqual({
      ok: true,
      preset: null,
      rules: {
        initial_balance: 10_000,
        daily_loss: { limit: 500, unit: "amount", basis: "initial_balance" },
        daily_reference: "balance",
        daily_reset: { timezone: "Europe/Prague", hour: 0 },
        max_loss: { limit: 1_000, unit: "amount", mode: "static", lock_at_initial: false },
        live_enter_pct: 97,
        live_exit_pct: 90,
      },
    });
  });

  it("spells a time zone given in the wrong case canonically", () => {
    const result = resolveRules({
      ...full,
      daily_reset: { timezone: "america/new_york", hour: 17 },
    });
    expect(result.ok && result.rules.daily_reset.timezone).toBe("America/New_York");
  });
});

describe("invalid rules", () => {
  it("names the known presets when the preset is unknown", () => {
    expect(issuesOf(resolveRules({ preset: "ftmo-3step", initial_balance: 1_000 }))).toEqual({
      preset:
        'unknown preset "ftmo-3step"; known presets: ftmo-2step, ftmo-1step, the5ers-highstakes, fundednext-2step, topstep-style, balance-trailing-style, hyrotrader-style, futures-eod-style',
    });
  });

  it("rejects a time zone that is not an IANA zone", () => {
    for (const timezone of ["Mars/Olympus_Mons", "+01:00", "CEST1", ""]) {
      expect(issuesOf(resolveRules({ ...full, daily_reset: { timezone, hour: 0 } }))).toEqual({
        "daily_reset.timezone": `${JSON.stringify(timezone)} is not an IANA time zone (such as "Europe/Prague" or "America/New_York")`,
      });
    }
  });

  it("requires 0 < live_exit_pct < live_enter_pct < 100", () => {
    expect(issuesOf(resolveRules({ ...full, live_enter_pct: 90, live_exit_pct: 90 }))).toEqual({
      live_exit_pct:
        "must be below live_enter_pct (90): 0 < live_exit_pct < live_enter_pct < 100 (got 90)",
    });
    expect(issuesOf(resolveRules({ ...full, live_enter_pct: 100 }))).toEqual({
      live_enter_pct: "must be between 0 and 100 (exclusive)",
    });
    expect(issuesOf(resolveRules({ ...full, live_exit_pct: 0 }))).toEqual({
      live_exit_pct: "must be between 0 and 100 (exclusive)",
    });
  });

  it("checks the hysteresis band after merging overrides into a preset", () => {
    expect(
      issuesOf(resolveRules({ preset: "ftmo-1step", initial_balance: 1, live_exit_pct: 98 })),
    ).toEqual({
      live_exit_pct:
        "must be below live_enter_pct (97): 0 < live_exit_pct < live_enter_pct < 100 (got 98)",
    });
  });

  it("requires positive limits and initial balance", () => {
    expect(
      issuesOf(
        resolveRules({
          ...full,
          initial_balance: 0,
          daily_loss: { limit: -5, unit: "amount" },
          max_loss: { limit: 0, unit: "percent" },
        }),
      ),
    ).toEqual({
      initial_balance: "must be greater than 0",
      "daily_loss.limit": "must be greater than 0",
      "max_loss.limit": "must be greater than 0",
    });
  });

  it("requires a whole reset hour from 0 to 23", () => {
    for (const hour of [-1, 24, 1.5]) {
      expect(issuesOf(resolveRules({ ...full, daily_reset: { timezone: "UTC", hour } }))).toEqual({
        "daily_reset.hour": "must be a whole hour from 0 to 23",
      });
    }
  });

  it("requires percent limits below 100, also when the unit comes from the preset", () => {
    expect(issuesOf(resolveRules({ ...full, max_loss: { limit: 100, unit: "percent" } }))).toEqual({
      "max_loss.limit": "a percent limit must be below 100 (got 100)",
    });
    expect(
      issuesOf(
        resolveRules({ preset: "ftmo-2step", initial_balance: 1_000, daily_loss: { limit: 500 } }),
      ),
    ).toEqual({ "daily_loss.limit": "a percent limit must be below 100 (got 500)" });
  });

  it("requires the limit when an override changes its unit", () => {
    expect(
      issuesOf(
        resolveRules({
          preset: "ftmo-2step",
          initial_balance: 1_000,
          max_loss: { unit: "amount" },
        }),
      ),
    ).toEqual({
      "max_loss.limit": `required when changing unit from the preset's "percent" to "amount"`,
    });
    expect(
      resolveRules({
        preset: "ftmo-2step",
        initial_balance: 1_000,
        max_loss: { unit: "amount", limit: 80 },
      }).ok,
    ).toBe(true);
  });

  it("rejects misspelt fields instead of ignoring them", () => {
    expect(issuesOf(resolveRules({ ...full, daily_los: { limit: 1 } }))).toEqual({
      "": 'unknown field "daily_los"; expected "initial_balance", "daily_loss", "daily_reference", "daily_reset", "max_loss", "breach_at", "currency_digits", "warn_at_pct", "objectives", "trade_rules", "consequences", "live_enter_pct", "live_exit_pct"',
    });
    expect(
      issuesOf(
        resolveRules({
          preset: "ftmo-2step",
          initial_balance: 1,
          max_loss: { mode: "static", lock: true },
        }),
      ),
    ).toEqual({
      max_loss:
        'unknown field "lock"; expected "limit", "unit", "mode", "lock_at_initial", "trail", "severity"',
    });
  });

  it("names missing and mistyped fields", () => {
    expect(
      issuesOf(resolveRules({ initial_balance: "100000", daily_loss: { limit: 5, unit: "pct" } })),
    ).toEqual({
      initial_balance: "must be a finite number",
      "daily_loss.unit": 'must be one of "percent", "amount"',
      max_loss: "required",
    });
    expect(issuesOf(resolveRules({ preset: "ftmo-2step" }))).toEqual({
      initial_balance: "required",
    });
    expect(issuesOf(resolveRules(null))).toEqual({
      "": "must be an object: { preset, initial_balance, ...overrides } or the full parameter set",
    });
  });
});

describe("RulesInputSchema", () => {
  it("accepts both forms", () => {
    expect(
      RulesInputSchema.safeParse({ preset: "topstep-style", initial_balance: 50_000 }).success,
    ).toBe(true);
    expect(RulesInputSchema.safeParse(full).success).toBe(true);
  });

  it("reports the issues of the form the input is in, in one readable message", () => {
    const presetForm = RulesInputSchema.safeParse({ preset: "nope", initial_balance: 1 });
    expect(presetForm.error?.issues.map((issue) => issue.message)).toEqual([
      'preset: unknown preset "nope"; known presets: ftmo-2step, ftmo-1step, the5ers-highstakes, fundednext-2step, topstep-style, balance-trailing-style, hyrotrader-style, futures-eod-style',
    ]);
    const fullForm = RulesInputSchema.safeParse({
      initial_balance: 1,
      daily_loss: { limit: 5, unit: "percent" },
    });
    expect(fullForm.error?.issues.map((issue) => issue.message)).toEqual(["max_loss: required"]);
  });
});
