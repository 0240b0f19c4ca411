/** Fixtures of the trade-rule tests: a trade, a judgement input, and a rules parse. */
import {
  TradeRulesSchema,
  type TradeJudgeInput,
  type TradeRules,
  type TradeView,
} from "../../../src/risk/trade-rules/index.ts";

export const utc = (iso: string): number => Date.parse(iso.endsWith("Z") ? iso : `${iso}Z`);

let nextTicket = 1000;

/** A Buy position, open unless `closeMs` is given; stop loss none. */
export function trade(over: Partial<TradeView> & { openMs: number }): TradeView {
  return {
    ticket: nextTicket++,
    symbol: "EURUSD",
    kind: "position",
    lots: 1,
    closeMs: null,
    stopLoss: 0,
    profit: 0,
    swap: 0,
    commission: 0,
    stopLossSeenMs: null,
    ...over,
  };
}

export function input(over: Partial<TradeJudgeInput> & { nowMs: number }): TradeJudgeInput {
  return {
    initialBalance: 100_000,
    trades: [],
    calendar: [],
    symbols: new Map(),
    watchedSinceMs: over.nowMs,
    recorded: new Set(),
    counts: {},
    ...over,
  };
}

/** Parses trade rules as the API would (defaults filled in); throws on a bad set. */
export function rules(raw: unknown): TradeRules {
  return TradeRulesSchema.parse(raw);
}
