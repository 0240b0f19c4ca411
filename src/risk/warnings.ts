/**
 * The `warn_at_pct` levels an account has reached in each rule's current period, as the
 * account shows them (`metrics.warnings`). The engine raises each level once per
 * (rule, period, level) as it is reached (evaluate.ts); this reads the count it carries.
 */
import { compileRules } from "./compiled.ts";
import type { RuleParams } from "./params.ts";
import type { RiskState } from "./types.ts";

/** Levels (%) reached this period, per rule. */
export interface WarningLevels {
  daily_loss: number[];
  max_loss: number[];
}

/** The levels reached in the current periods, or null when the rules have no `warn_at_pct`. */
export function warningsOf(params: RuleParams, state: RiskState): WarningLevels | null {
  const levels = compileRules(params).warnLevels;
  if (levels.length === 0) return null;
  const warned = state.warned;
  return {
    daily_loss: levels.slice(0, warned?.daily_loss ?? 0),
    max_loss: levels.slice(0, warned?.max_loss ?? 0),
  };
}
