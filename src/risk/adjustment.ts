/**
 * Balance adjustments (docs/rules.md, "Balance adjustments"): a deposit is not profit and a withdrawal is
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

/** What bounds one adjustment (docs/rules.md, "Balance adjustments"; docs/security.md). */
export interface AdjustmentBounds {
  /** Last known balance (account currency); the initial balance before any reading. */
  balance: number;
  /** Sum of the adjustments recorded but not yet applied to `balance` (account currency). */
  pending: number;
  /** The account's configured initial_balance (account currency). */
  initialBalance: number;
  /** True for an admin: deposits above initial_balance are allowed. */
  admin: boolean;
}

/** Why an adjustment is refused: the field issue for a 422. */
export interface AdjustmentRefusal {
  kind: "withdrawal_exceeds_balance" | "deposit_needs_admin";
  message: string;
}

/**
 * Whether an adjustment may be recorded. A withdrawal may not exceed the balance it is taken
 * from (the last known balance with the adjustments still pending), or one adjustment could
 * push every floor below any reachable equity and switch breach detection off; a deposit
 * above the account's initial_balance needs an admin. Null when it may.
 */
export function refuseAdjustment(amount: number, b: AdjustmentBounds): AdjustmentRefusal | null {
  if (amount < 0) {
    const available = Math.max(0, b.balance + b.pending);
    if (-amount > available)
      return {
        kind: "withdrawal_exceeds_balance",
        message: `a withdrawal may not exceed the last known balance (${available})`,
      };
  } else if (amount > b.initialBalance && !b.admin) {
    return {
      kind: "deposit_needs_admin",
      message: `a deposit above the account's initial_balance (${b.initialBalance}) needs an admin`,
    };
  }
  return null;
}
