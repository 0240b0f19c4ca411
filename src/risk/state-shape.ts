/**
 * The one constructor of a {@link RiskState}, and the one rule that decides whether a state
 * carries the version 2 fields.
 *
 * Every state the engine owns is built by {@link newState}: one object literal, every field in
 * one order, the version 2 ones `undefined` when unused (JSON leaves those out, so a stored
 * state reads as before). The per-reading path then updates that object in place (step.ts),
 * so its property loads and stores see one hidden class (V8 map) whatever the convention,
 * and a number that changes is written into the field's own box instead of a new object.
 * A state read from JSON or received over RPC has a map of its own: {@link copyState} gives
 * it the one shape before it is held (the live monitor does so when it subscribes).
 */
import type { CompiledRules } from "./compiled.ts";
import type { ObjectivesState, RiskState, WarnedLevels } from "./types.ts";

/** Every field of a state, named; the version 2 ones may be left out. */
export type StateFields = RiskState;

/**
 * The floors last computed for a held state, and the figures they were computed from, kept
 * beside the state under a symbol key that is not enumerable: JSON, structured clone (RPC),
 * spreads and equality checks do not see it, so the state's contract is unchanged. A floor
 * is a pure function of its key (the compiled rules, the reference and the levels it is
 * rounded from), so a hit gives exactly the floor the rules would compute; it saves the
 * rounding on the readings of a day that leave the levels where they were (most of them).
 * A state built elsewhere (parsed JSON) has none and is computed every time.
 */
export const FLOORS: unique symbol = Symbol("floors");

export interface FloorMemo {
  dailyRules: CompiledRules | null;
  dailyRef: number;
  dayStart: number;
  dayAdjustment: number;
  dailyFloor: number;
  maxRules: CompiledRules | null;
  hwm: number;
  adjustment: number;
  maxFloor: number;
}

/** A state, possibly carrying its floors memo. */
export type HeldState = RiskState & { readonly [FLOORS]?: FloorMemo };

/** A state of the one shape, from named fields (a missing version 2 field is `undefined`). */
export function newState(f: StateFields): RiskState {
  const state: RiskState = {
    trading_day: f.trading_day,
    day_start_ms: f.day_start_ms,
    day_end_ms: f.day_end_ms,
    day_start: f.day_start,
    hwm: f.hwm,
    balance: f.balance,
    equity: f.equity,
    last_at: f.last_at,
    monitoring: f.monitoring,
    breached: f.breached,
    day_high: f.day_high,
    adjustment: f.adjustment,
    adjustment_id: f.adjustment_id,
    day_adjustment: f.day_adjustment,
    warned: f.warned,
    objectives: f.objectives,
  };
  const memo: FloorMemo = {
    dailyRules: null,
    dailyRef: NaN,
    dayStart: NaN,
    dayAdjustment: NaN,
    dailyFloor: NaN,
    maxRules: null,
    hwm: NaN,
    adjustment: NaN,
    maxFloor: NaN,
  };
  Object.defineProperty(state, FLOORS, { value: memo, enumerable: false });
  return state;
}

/**
 * A copy of `state` in the one shape, which the caller may update in place. The nested
 * records (`breached`, `warned`, `objectives`) are shared: the engine never changes one, it
 * replaces it.
 */
export function copyState(state: RiskState): RiskState {
  return newState(state);
}

/**
 * The rule: a state carries the version 2 fields (`day_high`, adjustments, `warned`,
 * `objectives`) only when its rule set uses one of them (not `plain`, see compiled.ts) or a
 * balance adjustment was applied to it. Otherwise the engine keeps them `undefined`, so a
 * version 1 account's state (and its JSON) is exactly the version 1 state, and the engine
 * runs its version 1 kernel, which does not look at them (step.ts).
 */
export function carriesVersion2Fields(c: CompiledRules, state: RiskState): boolean {
  return !c.plain || state.adjustment !== undefined;
}

/** Sets the version 2 fields of `state` to `undefined`; true when one was set. */
export function dropVersion2Fields(state: RiskState): boolean {
  if (
    state.day_high === undefined &&
    state.adjustment === undefined &&
    state.adjustment_id === undefined &&
    state.day_adjustment === undefined &&
    state.warned === undefined &&
    state.objectives === undefined
  )
    return false;
  state.day_high = undefined;
  state.adjustment = undefined;
  state.adjustment_id = undefined;
  state.day_adjustment = undefined;
  state.warned = undefined;
  state.objectives = undefined;
  return true;
}

/** An objectives bookkeeping record, always of one shape. */
export function makeObjectives(
  days: number,
  best_day: number,
  open_balance: number,
  traded: boolean,
  met_at: number | null,
): ObjectivesState {
  return { days, best_day, open_balance, traded, met_at };
}

/** A warning-levels record, always of one shape. */
export function makeWarned(daily_loss: number, max_loss: number): WarnedLevels {
  return { daily_loss, max_loss };
}
