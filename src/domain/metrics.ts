import type { ObjectivesProgress, ReadingSource, WarningLevels } from "../risk/index.ts";

/** The figures an account shows in the admin API (`metrics`, docs/api.md). */
export interface AccountMetrics {
  balance: number;
  equity: number;
  day_start: number;
  hwm: number;
  daily_floor: number;
  max_floor: number;
  /** % of each rule's allowance used, and the larger of the two. */
  usage: { daily: number; max: number; overall: number };
  /** The current trading day, `YYYY-MM-DD` in the rules' reset zone. */
  trading_day: string;
  /** ISO-8601 time of the reading these figures come from. */
  updated_at: string;
  source: ReadingSource;
  /** `warn_at_pct` levels reached in each rule's current period; only when the rules warn. */
  warnings?: WarningLevels;
  /** Progress of the objectives; only when the rules have objectives. */
  objectives?: ObjectivesProgress;
}

/** A point of an account's equity chart. */
export interface EquityPoint {
  at: Date;
  balance: number;
  equity: number;
  usage: number;
}
