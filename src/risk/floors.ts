/**
 * The rule math of risk-rules.md ("Floors, references and usage"): allowances, floors and
 * usage from the parameters and the carried levels. Plain arithmetic, no allocation, so it
 * can sit on the per-event path.
 */
import type { RuleParams } from "./params.ts";
import type { RiskFigures, RiskState } from "./types.ts";

/**
 * Rounds money to 1e-6 of a unit. A floor such as `day_start - allowance` can land one ulp
 * off the decimal it stands for; rounding makes it the double nearest that decimal, so an
 * equity exactly at the floor compares equal instead of a hair below.
 */
export function roundMoney(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Rounds a percentage to 1e-9 %, removing float noise (96.99999999999999 is 97). */
export function roundPct(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** The daily loss allowance (account currency) for a day that started at `dayStart`. */
export function dailyAllowance(params: RuleParams, dayStart: number): number {
  const { limit, unit, basis } = params.daily_loss;
  if (unit === "amount") return limit;
  // limit * base / 100 rather than limit / 100 * base: exact for whole numbers (5 * 100000 / 100).
  return (limit * (basis === "day_start" ? dayStart : params.initial_balance)) / 100;
}

/** The daily floor (account currency): the day's start level minus the allowance. */
export function dailyFloor(params: RuleParams, dayStart: number): number {
  return roundMoney(dayStart - dailyAllowance(params, dayStart));
}

/** The max loss allowance (account currency); a percent is of initial_balance. */
export function maxAllowance(params: RuleParams): number {
  const { limit, unit } = params.max_loss;
  return unit === "amount" ? limit : (limit * params.initial_balance) / 100;
}

/** The max loss reference level: initial_balance (static) or the high-water mark (trailing modes). */
export function maxReference(params: RuleParams, hwm: number): number {
  return params.max_loss.mode === "static" ? params.initial_balance : hwm;
}

/** The max loss floor (account currency) for high-water mark `hwm`. */
export function maxFloor(params: RuleParams, hwm: number): number {
  const { mode, lock_at_initial } = params.max_loss;
  if (mode === "static") return roundMoney(params.initial_balance - maxAllowance(params));
  const floor = roundMoney(hwm - maxAllowance(params));
  return lock_at_initial && floor > params.initial_balance ? params.initial_balance : floor;
}

/**
 * Usage of a rule in %: how much of the room between reference and floor the equity has
 * used, `max(0, (ref - equity) / (ref - floor)) x 100`. Above 100 once the floor is broken.
 * When there is no room (a day that starts at or below zero), usage is 100 at or under the
 * floor and 0 above it.
 */
export function usagePct(reference: number, floor: number, equity: number): number {
  const room = reference - floor;
  if (!(room > 0)) return equity <= floor ? 100 : 0;
  if (equity >= reference) return 0;
  return roundPct(((reference - equity) * 100) / room);
}

/** Floors and usage for the figures held in `state` (for display, without a new reading). */
export function usageOf(params: RuleParams, state: RiskState): RiskFigures {
  const daily_floor = dailyFloor(params, state.day_start);
  const max_floor = maxFloor(params, state.hwm);
  const daily = usagePct(state.day_start, daily_floor, state.equity);
  const max = usagePct(maxReference(params, state.hwm), max_floor, state.equity);
  return { daily_floor, max_floor, usage: { daily, max, overall: daily > max ? daily : max } };
}
