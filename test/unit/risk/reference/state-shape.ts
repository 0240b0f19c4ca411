/**
 * The one shape a {@link RiskState} is built in: every field, the version 2 ones `undefined`
 * when the rule set does not use them (JSON leaves those out, so a stored state reads as
 * before). All states are built here, through object literals of one property order, so the
 * per-event path reads states of exactly one hidden class (V8 map) whatever the convention,
 * and its property loads stay monomorphic; a state built by spreads or by adding fields one
 * at a time would add maps and make them slow. (result-shape.ts makes the number fields
 * tagged.)
 */
import type { ObjectivesState, RiskState, WarnedLevels } from "../../../../src/risk/types.ts";

/** The version 2 fields of a state, as one argument. */
export interface StateExtras {
  day_high: number | undefined;
  adjustment: number | undefined;
  adjustment_id: number | undefined;
  day_adjustment: number | undefined;
  warned: WarnedLevels | undefined;
  objectives: ObjectivesState | undefined;
}

/** A state; with `extras` null its version 2 fields are `undefined`. One shape either way. */
export function makeState(
  trading_day: string,
  day_start_ms: number,
  day_end_ms: number,
  day_start: number,
  hwm: number,
  balance: number,
  equity: number,
  last_at: number,
  monitoring: RiskState["monitoring"],
  breached: RiskState["breached"],
  extras: StateExtras | null,
): RiskState {
  return makeFullState(
    trading_day,
    day_start_ms,
    day_end_ms,
    day_start,
    hwm,
    balance,
    equity,
    last_at,
    monitoring,
    breached,
    extras?.day_high,
    extras?.adjustment,
    extras?.adjustment_id,
    extras?.day_adjustment,
    extras?.warned,
    extras?.objectives,
  );
}

/** A state of the full shape, from positional fields (no extras record on the per-event path). */
export function makeFullState(
  trading_day: string,
  day_start_ms: number,
  day_end_ms: number,
  day_start: number,
  hwm: number,
  balance: number,
  equity: number,
  last_at: number,
  monitoring: RiskState["monitoring"],
  breached: RiskState["breached"],
  day_high: number | undefined,
  adjustment: number | undefined,
  adjustment_id: number | undefined,
  day_adjustment: number | undefined,
  warned: WarnedLevels | undefined,
  objectives: ObjectivesState | undefined,
): RiskState {
  return {
    trading_day,
    day_start_ms,
    day_end_ms,
    day_start,
    hwm,
    balance,
    equity,
    last_at,
    monitoring,
    breached,
    day_high,
    adjustment,
    adjustment_id,
    day_adjustment,
    warned,
    objectives,
  };
}

/** `state` with some fields replaced, rebuilt in one of the two shapes. */
export function withFields(state: RiskState, fields: Partial<RiskState>, full: boolean): RiskState {
  const s = { ...state, ...fields };
  return makeState(
    s.trading_day,
    s.day_start_ms,
    s.day_end_ms,
    s.day_start,
    s.hwm,
    s.balance,
    s.equity,
    s.last_at,
    s.monitoring,
    s.breached,
    full
      ? {
          day_high: s.day_high,
          adjustment: s.adjustment,
          adjustment_id: s.adjustment_id,
          day_adjustment: s.day_adjustment,
          warned: s.warned,
          objectives: s.objectives,
        }
      : null,
  );
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
