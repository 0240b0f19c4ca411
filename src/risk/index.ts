/**
 * The drawdown risk engine: pure rule math, no I/O. Runs unchanged in workerd and Node.
 * It implements the drawdown rule spec (docs/rules.md).
 */
export {
  BREACH_AT,
  DAILY_LOSS_BASES,
  DAILY_LOSS_MODES,
  DAILY_REFERENCES,
  DAY_LABELS,
  DEFAULT_CURRENCY_DIGITS,
  DEFAULT_LIVE_ENTER_PCT,
  DEFAULT_LIVE_EXIT_PCT,
  DEFAULT_RESET_HOUR,
  DEFAULT_TIMEZONE,
  LIMIT_UNITS,
  MAX_INITIAL_BALANCE,
  MAX_LOSS_MODES,
  MAX_LOSS_TRAILS,
  MIN_INITIAL_BALANCE,
  ObjectivesSchema,
  PROFIT_TARGET_ON,
  RuleParamsSchema,
  type BreachAt,
  type DailyLossMode,
  type DayLabel,
  type MaxLossTrail,
  type Objectives,
  type DailyLossBasis,
  type DailyReference,
  type LimitUnit,
  type MaxLossMode,
  type RuleParams,
} from "./params.ts";
export {
  PRESETS,
  PRESET_NAMES,
  PRESET_NAMES_V1,
  PRESET_NOTES,
  isPresetName,
  type PresetName,
  type PresetRules,
} from "./presets.ts";
export {
  PresetRulesInputSchema,
  RulesInputSchema,
  resolveRules,
  type PresetRulesInput,
  type ResolveRulesResult,
  type RulesInput,
  type RulesIssue,
} from "./rules-input.ts";
export { canonicalTimeZone, isIanaTimeZone } from "./time-zone.ts";
export { tradingDayAt, type TradingDay } from "./trading-day.ts";
export {
  dailyAllowance,
  dailyFloor,
  maxAllowance,
  maxFloor,
  roundMoney,
  usageOf,
  usagePct,
} from "./floors.ts";
export { compileRules, type CompiledRules } from "./compiled.ts";
export { evaluate, evaluateCompiled, initialState, rollover } from "./evaluate.ts";
export {
  NO_VIOLATIONS,
  NO_WARNINGS,
  newStep,
  openState,
  rollInPlace,
  stepInPlace,
  type Step,
} from "./step.ts";
export { carriesVersion2Fields, copyState, newState, type StateFields } from "./state-shape.ts";
export {
  applyAdjustment,
  applyAdjustments,
  openWithAdjustments,
  refuseAdjustment,
  type AdjustmentBounds,
  type AdjustmentRefusal,
} from "./adjustment.ts";
export {
  objectivesOf,
  objectivesMetByTrades,
  tradeDayLabels,
  tradeDaysIn,
  type ObjectivesProgress,
} from "./objectives.ts";
export { warningsOf, type WarningLevels } from "./warnings.ts";
export { MAX_AHEAD_MS, MAX_BEHIND_MS, readingTimeVerdict, toEpochMs } from "./reading-time.ts";
export {
  LIFETIME_PERIOD,
  type Adjustment,
  type AppliedEvaluation,
  type Evaluation,
  type InvalidEvaluation,
  type MonitoringState,
  type MonitoringTransition,
  type ObjectivesState,
  type Reading,
  type ReadingSource,
  type RiskFigures,
  type RiskState,
  type RuleName,
  type StaleEvaluation,
  type Usage,
  type Violation,
  type WarnedLevels,
  type Warning,
} from "./types.ts";
