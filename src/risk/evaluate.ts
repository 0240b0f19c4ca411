/**
 * The pure form of the per-reading reducer: (params, state, reading) -> new state, floors,
 * usage, violations, warnings, the objectives-met moment and the monitoring transition. The
 * input state is never changed: the reading is applied in place (step.ts) to a copy. The
 * poller, the HTTP routes and the tests use this form; the live monitor holds its states and
 * runs step.ts on them directly.
 */
import { compileRules, type CompiledRules } from "./compiled.ts";
import type { RuleParams } from "./params.ts";
import { makeApplied } from "./result-shape.ts";
import { copyState } from "./state-shape.ts";
import { newStep, openState, rollInPlace, stepInPlace } from "./step.ts";
import { readingTimeVerdict } from "./reading-time.ts";
import type { Evaluation, MonitoringState, Reading, RiskState } from "./types.ts";

// One step record for the pure form: it is read back before `evaluateCompiled` returns.
const step = newStep();

/**
 * The state opened by an account's first reading (see `openState` in step.ts). It does not
 * judge the reading: pass a null state to {@link evaluate} to open and judge in one step.
 */
export function initialState(
  params: RuleParams,
  reading: Reading,
  monitoring: MonitoringState = "polling",
): RiskState {
  return openState(compileRules(params), reading.equity, reading.balance, reading.at, monitoring);
}

/**
 * Rolls `state` into the trading day that contains `nowMs`, without a reading (a heartbeat at
 * the boundary). The new `day_start` comes from the balance (and equity) last known, which
 * were known before the boundary. Returns `state` itself when `nowMs` is before its day's end,
 * else a new state.
 */
export function rollover(params: RuleParams, state: RiskState, nowMs: number): RiskState {
  if (nowMs < state.day_end_ms) return state;
  const next = copyState(state);
  rollInPlace(compileRules(params), next, nowMs, NaN, undefined);
  return next;
}

/**
 * Applies one reading to an account, returning a new state (see `stepInPlace` in step.ts for
 * the rules). A null state opens the account at this reading (see {@link initialState}).
 * A reading that is stale or invalid returns the state given, unchanged.
 */
export function evaluate(
  params: RuleParams,
  state: RiskState | null | undefined,
  reading: Reading,
  nowMs?: number,
): Evaluation {
  return evaluateCompiled(compileRules(params), state, reading, nowMs);
}

/** {@link evaluate} over rules compiled with `compileRules`. */
export function evaluateCompiled(
  c: CompiledRules,
  state: RiskState | null | undefined,
  reading: Reading,
  nowMs?: number,
): Evaluation {
  const { equity, balance, at, source } = reading;
  let next: RiskState;
  if (state == null) {
    // Judged before the account is opened: opening reads the trading day, which may throw for
    // a time zone the runtime rejects.
    if (!(
      Number.isFinite(equity) &&
      Number.isFinite(at) &&
      (balance == null || Number.isFinite(balance))
    ))
      return { applied: false, reason: "invalid", state: null };
    const verdict = nowMs === undefined ? "ok" : readingTimeVerdict(at, nowMs);
    if (verdict !== "ok")
      return { applied: false, reason: "invalid", detail: verdict, state: null };
    next = openState(c, equity, balance, at, "polling");
  } else next = copyState(state);
  if (!stepInPlace(c, next, equity, balance, at, source, nowMs, step)) {
    if (step.reason === "stale") return { applied: false, reason: "stale", state: state! };
    return step.detail === null
      ? { applied: false, reason: "invalid", state: state ?? null }
      : { applied: false, reason: "invalid", detail: step.detail, state: state ?? null };
  }
  return makeApplied(
    next,
    step.daily_floor,
    step.max_floor,
    step.usage.daily,
    step.usage.max,
    step.usage.overall,
    step.violations,
    step.transition,
    step.rolled_over,
    step.warnings,
    step.objectives_met_at,
  );
}
