/**
 * The rule math of docs/rules.md, "Floors, references and usage" (all modes): allowances,
 * references, floors and usage from the compiled rules and the carried levels. Plain
 * arithmetic, no allocation, so it can sit on the per-event path.
 *
 * Balance adjustments (deposits, withdrawals) shift initial_balance, the high-water mark and
 * the day's levels by their amount while every allowance stays what it was: the allowances
 * here are computed from the unshifted figures (`level - adjustment`).
 */
import { type CompiledRules, MAX_STATIC, compileRules } from "./compiled.ts";
import type { RuleParams } from "./params.ts";
import { roundMoney } from "./money.ts";
import type { RiskFigures, RiskState } from "./types.ts";

export { roundMoney };

/** Rounds a percentage to 1e-9 %, removing float noise (96.99999999999999 is 97). */
export function roundPct(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** The effective initial balance: initial_balance shifted by the adjustments applied. */
export function effectiveInitial(c: CompiledRules, adjustment: number): number {
  return c.initial + adjustment;
}

/**
 * The daily allowance (account currency) for a day that started at `dayStart`, of which
 * `dayAdjustment` came from adjustments made during the day. Never below zero.
 */
export function dailyAllowanceOf(
  c: CompiledRules,
  dayStart: number,
  dayAdjustment: number,
): number {
  if (c.dailyDayStartPct === 0) return c.dailyAllowance;
  const allowance = (c.dailyDayStartPct * (dayStart - dayAdjustment)) / 100;
  return allowance > 0 ? allowance : 0;
}

/** The daily floor (account currency) for reference `ref`: rounded, never above `ref`. */
export function dailyFloorOf(c: CompiledRules, ref: number, allowance: number): number {
  const floor = roundMoney(ref - allowance, c.scale, ref);
  return floor > ref ? ref : floor;
}

/** The max-loss reference: effective initial (static) or the high-water mark (trailing modes). */
export function maxReferenceOf(c: CompiledRules, hwm: number, adjustment: number): number {
  return c.maxMode === MAX_STATIC ? c.initial + adjustment : hwm;
}

/** The max-loss floor (account currency): rounded, locked when asked, never above its reference. */
export function maxFloorOf(c: CompiledRules, hwm: number, adjustment: number): number {
  // A static rule without adjustments has one floor, computed once per rule set.
  if (adjustment === 0 && c.maxMode === MAX_STATIC) return c.staticMaxFloor;
  const ref = maxReferenceOf(c, hwm, adjustment);
  let allowance = c.maxAllowance;
  if (c.maxPeakPct !== 0) {
    allowance = (c.maxPeakPct * (hwm - adjustment)) / 100;
    if (!(allowance > 0)) allowance = 0;
  }
  let floor = roundMoney(ref - allowance, c.scale, ref);
  if (floor > ref) floor = ref;
  const initial = c.initial + adjustment;
  return c.lock && floor > initial ? initial : floor;
}

/**
 * Usage of a rule in %: how much of the room between reference and floor the equity has
 * used, `max(0, (ref - equity) / (ref - floor)) x 100`. Above 100 once the floor is broken.
 * When there is no room (an allowance at or below zero), usage is 100 at or under the floor
 * and 0 above it.
 */
export function usagePct(reference: number, floor: number, equity: number): number {
  const room = reference - floor;
  if (!(room > 0)) return equity <= floor ? 100 : 0;
  if (equity >= reference) return 0;
  return roundPct(((reference - equity) * 100) / room);
}

/** The daily reference of a state: the day start, or the intraday high when trailing. */
export function dailyReferenceOf(c: CompiledRules, state: RiskState): number {
  if (!c.dailyTrailing) return state.day_start;
  const high = state.day_high;
  return high !== undefined && high > state.day_start ? high : state.day_start;
}

/** The daily loss allowance (account currency) for a day that started at `dayStart`. */
export function dailyAllowance(params: RuleParams, dayStart: number): number {
  return dailyAllowanceOf(compileRules(params), dayStart, 0);
}

/** The daily floor (account currency) for a fixed-mode day that started at `dayStart`. */
export function dailyFloor(params: RuleParams, dayStart: number): number {
  const c = compileRules(params);
  return dailyFloorOf(c, dayStart, dailyAllowanceOf(c, dayStart, 0));
}

/** The fixed max loss allowance (account currency); NaN under `percent_of_peak`. */
export function maxAllowance(params: RuleParams): number {
  return compileRules(params).maxAllowance;
}

/** The max loss floor (account currency) for high-water mark `hwm`, without adjustments. */
export function maxFloor(params: RuleParams, hwm: number): number {
  return maxFloorOf(compileRules(params), hwm, 0);
}

/** Floors and usage for the figures held in `state` (for display, without a new reading). */
export function usageOf(params: RuleParams, state: RiskState): RiskFigures {
  const c = compileRules(params);
  const adjustment = state.adjustment ?? 0;
  const dailyRef = dailyReferenceOf(c, state);
  const daily_floor = dailyFloorOf(
    c,
    dailyRef,
    dailyAllowanceOf(c, state.day_start, state.day_adjustment ?? 0),
  );
  const max_floor = maxFloorOf(c, state.hwm, adjustment);
  const daily = usagePct(dailyRef, daily_floor, state.equity);
  const max = usagePct(maxReferenceOf(c, state.hwm, adjustment), max_floor, state.equity);
  return { daily_floor, max_floor, usage: { daily, max, overall: daily > max ? daily : max } };
}
