/**
 * The daily and max floors in force at each reading of an equity chart (admin-api.md,
 * `GET /v1/accounts/{id}/equity`). The readings table keeps balance and equity only, so the
 * floors are rebuilt by replaying the readings of the window through the risk engine
 * (`evaluate`), which opens trading days and moves the high-water mark exactly as the
 * monitor does.
 *
 * What the replay cannot know, it takes from the account's current figures: inside the
 * current trading day the daily floor is the account's own (`metrics.daily_floor`, set from
 * the true day start even when the day's first readings were thinned away); the high-water
 * mark before the window starts at the window's first reading, so a trailing max floor may
 * start lower than it was. Pure: no I/O.
 */
import type { AccountMetrics } from "../db/metrics.ts";
import { evaluate, type RiskState, type RuleParams } from "../risk/index.ts";
import type { EquityPoint } from "./queries.ts";

/** A chart point with its floors (account currency). */
export interface FlooredPoint extends EquityPoint {
  daily_floor: number;
  max_floor: number;
}

/** `points` (oldest first) with the floors in force at each. */
export function floorsOverTime(
  rules: RuleParams,
  points: readonly EquityPoint[],
  current: AccountMetrics | null,
): FlooredPoint[] {
  let state: RiskState | null = null;
  let last = { daily_floor: Number.NaN, max_floor: Number.NaN };
  const out: FlooredPoint[] = [];
  for (const p of points) {
    const ev = evaluate(rules, state, {
      at: p.at.getTime(),
      balance: p.balance,
      equity: p.equity,
      source: "poll",
    });
    if (ev.applied) {
      state = ev.state;
      last = { daily_floor: ev.daily_floor, max_floor: ev.max_floor };
    }
    const sameDay = current !== null && state !== null && state.trading_day === current.trading_day;
    out.push({
      ...p,
      daily_floor: sameDay ? current.daily_floor : last.daily_floor,
      max_floor: last.max_floor,
    });
  }
  return out;
}
