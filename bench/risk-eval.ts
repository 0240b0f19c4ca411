/**
 * Throughput of the risk engine's per-event path: `evaluate` over many accounts in a tight
 * loop, each reading fed the state the previous one returned, as the live monitor does.
 *
 *   node bench/risk-eval.ts [evaluations]
 *
 * Prints one summary line, then one JSON line. Goal: >= 8,000,000 evaluations/s on one core.
 * Evaluations per CPU second of the process are printed too: on a shared machine the wall
 * clock counts the neighbours' time as well.
 *
 * The accounts mix every rule mode of docs/rules.md, version 1 and 2: each preset, plus rule
 * sets with `trail: percent_of_peak`, `daily_reference: equity`, `warn_at_pct`, objectives,
 * a minute reset with `close_date` labels and 8 currency digits. Rules are compiled once per
 * rule set (`compileRules`) and evaluated with `evaluateCompiled`; the live monitor goes
 * through `evaluate`, which finds the compiled rules in a one-entry cache or a WeakMap. Each
 * reading is a new object of one shape (`balance` present, `undefined` when no trade closed),
 * as the monitor builds them.
 */
import {
  PRESET_NAMES,
  type Reading,
  type RiskState,
  type RuleParams,
  compileRules,
  evaluate,
  evaluateCompiled,
  resolveRules,
  type CompiledRules,
} from "../src/risk/index.ts";

const ACCOUNTS = 1_000;
const READINGS_PER_ACCOUNT = 64;
const DEFAULT_EVALUATIONS = 10_000_000;

const evaluations = Number(process.argv[2] ?? DEFAULT_EVALUATIONS);
if (!Number.isInteger(evaluations) || evaluations <= 0) {
  throw new Error(`evaluations must be a positive integer, got ${process.argv[2]}`);
}

/** Rule sets beyond the presets, so that every version 2 mode is on the path. */
const EXTRA_RULES: ReadonlyArray<Record<string, unknown>> = [
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

// A mix of every preset and mode and of sizes; every account sits near its limits, so some
// readings cross the hysteresis band and a few breach, as on a busy day.
const params: RuleParams[] = [];
const compiled: CompiledRules[] = [];
const states: RiskState[] = [];
const readings: Reading[][] = [];
const dayStartMs = Date.parse("2026-11-26T00:30:00Z");
for (let a = 0; a < ACCOUNTS; a++) {
  const initial = [10_000, 25_000, 50_000, 100_000, 200_000][a % 5]!;
  const kind = a % (PRESET_NAMES.length + EXTRA_RULES.length);
  const resolved = resolveRules(
    kind < PRESET_NAMES.length
      ? { preset: PRESET_NAMES[kind], initial_balance: initial }
      : { ...EXTRA_RULES[kind - PRESET_NAMES.length], initial_balance: initial },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  params.push(resolved.rules);
  compiled.push(compileRules(resolved.rules));
  const first = evaluate(resolved.rules, null, {
    equity: initial,
    balance: initial,
    at: dayStartMs,
    source: "poll",
  });
  if (!first.applied) throw new Error("first reading not applied");
  states.push(first.state);
  const own: Reading[] = [];
  for (let r = 0; r < READINGS_PER_ACCOUNT; r++) {
    // Equity wanders between -5.5% and +1% of the initial balance.
    const swing = Math.sin((a + 1) * 0.7 + r * 0.3) * 0.0325 - 0.0225;
    // Every 8th reading closes a trade: the balance moves too (balance_trailing, objectives).
    const equity = Math.round(initial * (1 + swing) * 100) / 100;
    own.push({ equity, balance: r % 8 === 0 ? equity : undefined, at: 0, source: "event" });
  }
  readings.push(own);
}

let at = dayStartMs;
let sink = 0;
let violations = 0;
let transitions = 0;
let warnings = 0;

function runBatch(count: number): void {
  for (let i = 0; i < count; i++) {
    const a = i % ACCOUNTS;
    const template = readings[a]![((i / ACCOUNTS) | 0) % READINGS_PER_ACCOUNT]!;
    at += 1; // one event per ms across the fleet: stays inside the trading day
    const result = evaluateCompiled(compiled[a]!, states[a], {
      equity: template.equity,
      balance: template.balance,
      at,
      source: "event",
    });
    if (result.applied) {
      states[a] = result.state;
      sink += result.usage.overall;
      violations += result.violations.length;
      if (result.transition !== null) transitions++;
      warnings += result.warnings.length;
    }
  }
}

runBatch(Math.min(evaluations, 2_000_000)); // warm up the JIT
const cpuStart = process.cpuUsage();
const started = performance.now();
runBatch(evaluations);
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
const perSecond = Math.round((evaluations / ms) * 1000);
// On a shared machine the wall clock counts other processes' time too; CPU time does not.
const perCpuSecond = Math.round((evaluations / ((cpu.user + cpu.system) / 1000)) * 1000);

console.log(
  `risk-eval: ${perSecond} evaluations/s (n=${evaluations}, ms=${ms.toFixed(1)}; ${perCpuSecond} per CPU second)`,
);
console.log(
  JSON.stringify({
    bench: "risk-eval",
    evaluations_per_s: perSecond,
    evaluations_per_cpu_s: perCpuSecond,
    n: evaluations,
    ms: Number(ms.toFixed(1)),
    accounts: ACCOUNTS,
    violations,
    transitions,
    warnings,
    rule_sets: PRESET_NAMES.length + EXTRA_RULES.length,
    checksum: Number(sink.toFixed(3)),
    node: process.version,
  }),
);
