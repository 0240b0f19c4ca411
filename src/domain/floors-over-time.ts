/**
 * The daily and max floors in force at each reading of an equity chart (docs/api.md,
 * `GET /v1/accounts/{id}/equity`). The readings table keeps balance and equity only, so the
 * floors are rebuilt by replaying readings through the risk engine (`evaluate`), which opens
 * trading days and moves the high-water mark exactly as the monitor does, with the account's
 * balance adjustments applied where they fell in time (`applyAdjustment`, as the poller and
 * the monitor apply them at the next reading after one is recorded).
 *
 * The replay starts before the window: `history.before` holds the older readings that carry
 * the high-water marks (per trading day the highest equity, the highest balance and the last
 * reading; see `listFloorHistory`), so a trailing max floor starts where the account's mark
 * stood, not at the window's first reading. Adjustments made before the first reading known
 * are in that reading's figures already and move only the effective initial balance
 * (`openWithAdjustments`).
 *
 * What the replay still cannot know, it takes from the account's current figures: inside the
 * current trading day the daily floor is the account's own (`metrics.daily_floor`, set from
 * the true day start even when the day's first readings were thinned away). Pure: no I/O.
 */
import type { AccountMetrics } from "./metrics.ts";
import {
  applyAdjustment,
  evaluate,
  initialState,
  openWithAdjustments,
  type Adjustment,
  type RiskState,
  type RuleParams,
} from "../risk/index.ts";
import type { EquityPoint } from "./metrics.ts";

/** A chart point with its floors (account currency). */
export interface FlooredPoint extends EquityPoint {
  daily_floor: number;
  max_floor: number;
}

/** A balance adjustment and when it was recorded. */
export interface DatedAdjustment extends Adjustment {
  at: Date;
}

/** What came before the window, for the replay. */
export interface FloorHistory {
  /** Readings older than the window that keep its high-water marks, oldest first. */
  before: readonly EquityPoint[];
  /** The account's adjustments, any order. */
  adjustments: readonly DatedAdjustment[];
}

const NO_HISTORY: FloorHistory = { before: [], adjustments: [] };

/** `points` (oldest first) with the floors in force at each. */
export function floorsOverTime(
  rules: RuleParams,
  points: readonly EquityPoint[],
  current: AccountMetrics | null,
  history: FloorHistory = NO_HISTORY,
): FlooredPoint[] {
  const adjustments = [...history.adjustments].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || a.id - b.id,
  );
  let next = 0;
  let state: RiskState | null = null;
  let last = { daily_floor: Number.NaN, max_floor: Number.NaN };

  /** Replays one reading, after the adjustments recorded up to its time. */
  const replay = (p: EquityPoint): void => {
    const at = p.at.getTime();
    const due: Adjustment[] = [];
    while (next < adjustments.length && adjustments[next]!.at.getTime() <= at)
      due.push(adjustments[next++]!);
    const reading = { at, balance: p.balance, equity: p.equity, source: "poll" as const };
    if (state === null) {
      // The first reading known: earlier adjustments are in its figures already.
      if (due.length > 0) state = openWithAdjustments(rules, initialState(rules, reading), due);
    } else for (const a of due) state = applyAdjustment(state, a);
    const ev = evaluate(rules, state, reading);
    if (!ev.applied) return;
    state = ev.state;
    last = { daily_floor: ev.daily_floor, max_floor: ev.max_floor };
  };

  const firstAt = points[0]?.at.getTime() ?? Infinity;
  for (const p of history.before) if (p.at.getTime() < firstAt) replay(p);
  const out: FlooredPoint[] = [];
  for (const p of points) {
    replay(p);
    const s = state as RiskState | null;
    const sameDay = current !== null && s !== null && s.trading_day === current.trading_day;
    out.push({
      ...p,
      daily_floor: sameDay ? current.daily_floor : last.daily_floor,
      max_floor: last.max_floor,
    });
  }
  return out;
}
