/**
 * The risk engine's two benchmark mixes and the loop that times them, written against any
 * tree's `src/risk/index.ts` (passed in as a module), so `bench/risk-eval.ts` and
 * `npm run bench -- compare <ref>` (compare.ts) time two trees with the same code.
 *
 * - `v1`: the version 1 presets (the `risk-eval` mix of the turn-before-last tree): 1,000
 *   accounts near their limits, readings without a balance.
 * - `v2`: every preset and mode of docs/rules.md, version 1 and 2 (intraday-high daily rule,
 *   `percent_of_peak`, `daily_reference: equity`, warnings, objectives, minute resets,
 *   `close_date` labels, 8 currency digits); every 8th reading closes a trade (a balance).
 *
 * Each reading is fed the state the previous one left, as the live monitor does, through the
 * fastest per-reading form the tree has: the in-place step (`stepInPlace` on a state the
 * caller holds, with one reused step record) where it exists, else `evaluateCompiled` over
 * rules compiled once, else `evaluate`. Readings are new objects of one shape for the forms
 * that take one.
 */

/** What the mixes need of a tree's risk module; later additions are optional. */
export interface RiskModule {
  PRESET_NAMES: readonly string[];
  PRESET_NAMES_V1?: readonly string[];
  resolveRules(input: unknown): { ok: true; rules: object } | { ok: false; issues: unknown };
  evaluate(params: object, state: object | null, reading: object): Evaluated;
  compileRules?: (params: object) => object;
  evaluateCompiled?: (c: object, state: object | null, reading: object) => Evaluated;
  newStep?: () => StepRecord;
  copyState?: (state: object) => object;
  stepInPlace?: (
    c: object,
    s: object,
    equity: number,
    balance: number | undefined,
    at: number,
    source: "event" | "poll",
    nowMs: number | undefined,
    out: StepRecord,
  ) => boolean;
}

interface Evaluated {
  applied: boolean;
  state: object;
  usage: { overall: number };
  violations: unknown[];
  transition: unknown;
  warnings?: unknown[];
}

interface StepRecord {
  usage: { overall: number };
  violations: unknown[];
  transition: unknown;
  warnings: unknown[];
}

export type Mix = "v1" | "v2";

const ACCOUNTS = 1_000;
const READINGS_PER_ACCOUNT = 64;

/** Rule sets beyond the presets, so that every version 2 mode is on the path. */
const EXTRA_V2_RULES: ReadonlyArray<Record<string, unknown>> = [
  {
    daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
    daily_reference: "equity",
    daily_reset: { timezone: "Asia/Kathmandu", hour: 0, minute: 15, label: "close_date" },
    max_loss: {
      limit: 6,
      unit: "percent",
      mode: "trailing",
      trail: "percent_of_peak",
      lock_at_initial: true,
    },
    warn_at_pct: [50, 75, 90],
  },
  {
    daily_loss: { limit: 4, unit: "percent", mode: "trailing_intraday_high" },
    daily_reset: { timezone: "UTC", hour: 0, minute: 30 },
    max_loss: { limit: 8, unit: "percent", mode: "balance_trailing", lock_at_initial: true },
    breach_at: "at_or_below",
    currency_digits: 8,
    objectives: {
      profit_target: { limit: 8, unit: "percent" },
      min_trading_days: 4,
      consistency_pct: 40,
    },
  },
];

/** What a timed run counted (the checksum shows both trees computed the same thing). */
export interface MixResult {
  mix: Mix;
  form: "stepInPlace" | "evaluateCompiled" | "evaluate";
  evaluations_per_s: number;
  evaluations_per_cpu_s: number;
  n: number;
  ms: number;
  violations: number;
  transitions: number;
  warnings: number;
  checksum: number;
}

/**
 * Times `evaluations` readings of `mix` after a warm-up; throws when the tree cannot express
 * the mix (a tree before version 2 has no version 2 rules).
 */
export function runMix(R: RiskModule, mix: Mix, evaluations: number): MixResult {
  const names = mix === "v1" ? (R.PRESET_NAMES_V1 ?? R.PRESET_NAMES) : R.PRESET_NAMES;
  const extras = mix === "v1" ? [] : EXTRA_V2_RULES;
  const kinds = names.length + extras.length;
  const dayStartMs = Date.parse("2026-11-26T00:30:00Z");
  const params: object[] = [];
  const compiled: object[] = [];
  const states: object[] = [];
  const equities: number[][] = [];
  const balances: Array<Array<number | undefined>> = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const initial = [10_000, 25_000, 50_000, 100_000, 200_000][a % 5]!;
    const kind = a % kinds;
    const resolved = R.resolveRules(
      kind < names.length
        ? { preset: names[kind], initial_balance: initial }
        : { ...extras[kind - names.length], initial_balance: initial },
    );
    if (!resolved.ok) throw new Error(`mix ${mix}: rules unknown to this tree`);
    params.push(resolved.rules);
    compiled.push(R.compileRules ? R.compileRules(resolved.rules) : resolved.rules);
    const first = R.evaluate(resolved.rules, null, {
      equity: initial,
      balance: initial,
      at: dayStartMs,
      source: "poll",
    });
    if (!first.applied) throw new Error("first reading not applied");
    // A state the caller holds and updates in place is of the engine's one shape.
    states.push(R.copyState ? R.copyState(first.state) : first.state);
    const eq: number[] = [];
    const bal: Array<number | undefined> = [];
    for (let r = 0; r < READINGS_PER_ACCOUNT; r++) {
      // Equity wanders between -5.5% and +1% of the initial balance.
      const swing = Math.sin((a + 1) * 0.7 + r * 0.3) * 0.0325 - 0.0225;
      const equity = Math.round(initial * (1 + swing) * 100) / 100;
      eq.push(equity);
      // v2: every 8th reading closes a trade, the balance moves too.
      bal.push(mix === "v2" && r % 8 === 0 ? equity : undefined);
    }
    equities.push(eq);
    balances.push(bal);
  }

  // The loop's clock and tallies live in locals and are written back once per batch: a number
  // kept in a closure's variable is boxed anew on every write, which would time the harness.
  let at = dayStartMs;
  let sink = 0;
  let violations = 0;
  let transitions = 0;
  let warnings = 0;
  const stepInPlace = R.stepInPlace;
  const step = R.newStep?.();
  const evaluateCompiled = R.evaluateCompiled;
  const form: MixResult["form"] =
    stepInPlace && step
      ? "stepInPlace"
      : evaluateCompiled && R.compileRules
        ? "evaluateCompiled"
        : "evaluate";

  const batchInPlace = (count: number): void => {
    let t = at;
    let sum = 0;
    let v = 0;
    let tr = 0;
    let w = 0;
    // Account a's reading r, accounts round-robin: counters rather than a division per reading.
    let a = 0;
    let r = 0;
    for (let i = 0; i < count; i++, a++) {
      if (a === ACCOUNTS) {
        a = 0;
        if (++r === READINGS_PER_ACCOUNT) r = 0;
      }
      t += 1; // one event per ms across the fleet: stays inside the trading day
      if (
        stepInPlace!(
          compiled[a]!,
          states[a]!,
          equities[a]![r]!,
          balances[a]![r],
          t,
          "event",
          undefined,
          step!,
        )
      ) {
        sum += step!.usage.overall;
        v += step!.violations.length;
        if (step!.transition !== null) tr++;
        w += step!.warnings.length;
      }
    }
    at = t;
    sink += sum;
    violations += v;
    transitions += tr;
    warnings += w;
  };
  const batchPure = (count: number): void => {
    const evaluateOne = form === "evaluateCompiled" ? evaluateCompiled! : R.evaluate;
    const rules = form === "evaluateCompiled" ? compiled : params;
    let t = at;
    let sum = 0;
    let v = 0;
    let tr = 0;
    let w = 0;
    let a = 0;
    let r = 0;
    for (let i = 0; i < count; i++, a++) {
      if (a === ACCOUNTS) {
        a = 0;
        if (++r === READINGS_PER_ACCOUNT) r = 0;
      }
      t += 1;
      const reading =
        mix === "v1"
          ? { equity: equities[a]![r]!, at: t, source: "event" }
          : { equity: equities[a]![r]!, balance: balances[a]![r], at: t, source: "event" };
      const result = evaluateOne(rules[a]!, states[a]!, reading);
      if (result.applied) {
        states[a] = result.state;
        sum += result.usage.overall;
        v += result.violations.length;
        if (result.transition !== null) tr++;
        w += result.warnings?.length ?? 0;
      }
    }
    at = t;
    sink += sum;
    violations += v;
    transitions += tr;
    warnings += w;
  };
  const batch = form === "stepInPlace" ? batchInPlace : batchPure;

  batch(Math.min(evaluations, 2_000_000)); // warm up the JIT
  sink = 0;
  violations = 0;
  transitions = 0;
  warnings = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  batch(evaluations);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return {
    mix,
    form,
    evaluations_per_s: Math.round((evaluations / ms) * 1000),
    evaluations_per_cpu_s: Math.round((evaluations / ((cpu.user + cpu.system) / 1000)) * 1000),
    n: evaluations,
    ms: Number(ms.toFixed(1)),
    violations,
    transitions,
    warnings,
    checksum: Number(sink.toFixed(3)),
  };
}
