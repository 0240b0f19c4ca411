/** The trade-rule engine's public face (docs/trades.md): pure, no I/O. */
export {
  NEWS_IMPACTS,
  NEWS_SCOPES,
  SEVERITIES,
  TRADE_RULE_NAMES,
  TradeRulesSchema,
  parseCutoff,
  type NewsImpact,
  type Severity,
  type TradeRuleName,
  type TradeRules,
} from "./params.ts";
export { judgeTrades, tradeKey, tradeRuleCandidates, violationKey } from "./judge.ts";
export { symbolBase, symbolCurrencies, type SymbolOverrides } from "./symbols.ts";
export { cutoffsBetween, type Cutoff } from "./weekend.ts";
export type { CalendarEvent, TradeJudgeInput, TradeView, TradeViolation } from "./types.ts";
