/**
 * The one object literal every applied evaluation of the pure form (evaluate.ts) is built
 * from, so callers read results of one hidden class.
 */
import type {
  AppliedEvaluation,
  MonitoringTransition,
  RiskState,
  Violation,
  Warning,
} from "./types.ts";

/** An applied evaluation, always of one shape. */
export function makeApplied(
  state: RiskState,
  daily_floor: number,
  max_floor: number,
  daily: number,
  max: number,
  overall: number,
  violations: Violation[],
  transition: MonitoringTransition | null,
  rolled_over: boolean,
  warnings: Warning[],
  objectives_met_at: number | null,
): AppliedEvaluation {
  return {
    applied: true,
    state,
    daily_floor,
    max_floor,
    usage: { daily, max, overall },
    violations,
    transition,
    rolled_over,
    warnings,
    objectives_met_at,
  };
}
