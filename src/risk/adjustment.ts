/**
 * Balance adjustments (docs/rules.md, version 2): a deposit is not profit and a withdrawal is
 * not a loss. Applying one shifts the effective initial_balance, the high-water mark, the
 * current day's levels and the last known balance and equity by its amount, while every
 * allowance stays what it was, so every floor moves with the money and usage is unchanged.
 *
 * Pure, shared by the poller and the live monitor: each applies the adjustments whose id is
 * above the state's `adjustment_id`, in id order, so an adjustment applies exactly once
 * whichever writer sees it first.
 */
import type { RuleParams } from "./params.ts";
import { makeObjectives, newState } from "./state-shape.ts";
import type { Adjustment, RiskState } from "./types.ts";

/**
 * The state with `adjustment` applied; `state` itself when it was applied already (its id is
 * at or below `state.adjustment_id`) or its amount is not a finite number.
 */
export function applyAdjustment(state: RiskState, adjustment: Adjustment): RiskState {
  const { id, amount } = adjustment;
  if (id <= (state.adjustment_id ?? 0) || !Number.isFinite(amount)) return state;
  const o = state.objectives;
  return newState({
    ...state,
    day_start: state.day_start + amount,
    hwm: state.hwm + amount,
    balance: state.balance + amount,
    equity: state.equity + amount,
    day_high: state.day_high === undefined ? undefined : state.day_high + amount,
    adjustment: (state.adjustment ?? 0) + amount,
    adjustment_id: id,
    day_adjustment: (state.day_adjustment ?? 0) + amount,
    objectives:
      o === undefined
        ? undefined
        : makeObjectives(o.days, o.best_day, o.open_balance + amount, o.traded, o.met_at),
  });
}

/** Applies every adjustment of `adjustments` not yet applied, in id order. */
export function applyAdjustments(state: RiskState, adjustments: readonly Adjustment[]): RiskState {
  let next = state;
  for (const adjustment of [...adjustments].sort((a, b) => a.id - b.id)) {
    next = applyAdjustment(next, adjustment);
  }
  return next;
}

/**
 * A state just opened by an account's first reading (see `initialState`), told of the
 * adjustments made before it: the reading's own figures already hold that money, so only the
 * effective initial balance (and with it the high-water mark's lower bound) moves; the day's
 * levels stay.
 */
export function openWithAdjustments(
  params: RuleParams,
  state: RiskState,
  adjustments: readonly Adjustment[],
): RiskState {
  let total = 0;
  let lastId = state.adjustment_id ?? 0;
  for (const a of adjustments) {
    if (a.id <= (state.adjustment_id ?? 0) || !Number.isFinite(a.amount)) continue;
    total += a.amount;
    if (a.id > lastId) lastId = a.id;
  }
  if (lastId === (state.adjustment_id ?? 0)) return state;
  const mode = params.max_loss.mode;
  const level =
    mode === "eod_trailing"
      ? -Infinity
      : mode === "balance_trailing"
        ? state.balance
        : state.equity;
  const lowest = params.initial_balance + (state.adjustment ?? 0) + total;
  return newState({
    ...state,
    hwm: level > lowest ? level : lowest,
    adjustment: (state.adjustment ?? 0) + total,
    adjustment_id: lastId,
  });
}
