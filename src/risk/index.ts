/**
 * The drawdown risk engine: pure rule math, no I/O. Runs unchanged in workerd and Node.
 * It implements the drawdown rule spec (risk-rules.md).
 */
export {
  DAILY_LOSS_BASES,
  DAILY_REFERENCES,
  DEFAULT_LIVE_ENTER_PCT,
  DEFAULT_LIVE_EXIT_PCT,
  DEFAULT_RESET_HOUR,
  DEFAULT_TIMEZONE,
  LIMIT_UNITS,
  MAX_LOSS_MODES,
  RuleParamsSchema,
  type DailyLossBasis,
  type DailyReference,
  type LimitUnit,
  type MaxLossMode,
  type RuleParams,
} from "./params.ts";
export {
  PRESETS,
  PRESET_NAMES,
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
export { dailyAllowance, dailyFloor, maxAllowance, maxFloor, usageOf, usagePct } from "./floors.ts";
export { evaluate, initialState, rollover } from "./evaluate.ts";
export {
  LIFETIME_PERIOD,
  type AppliedEvaluation,
  type Evaluation,
  type InvalidEvaluation,
  type MonitoringState,
  type MonitoringTransition,
  type Reading,
  type ReadingSource,
  type RiskFigures,
  type RiskState,
  type RuleName,
  type StaleEvaluation,
  type Usage,
  type Violation,
} from "./types.ts";
