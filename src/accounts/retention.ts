/**
 * Retention of equity readings (issue 12, "Retention"): full detail for 7 days, then one per
 * 5 minutes, then one per hour after 90 days. Violations, the audit trail and evidence are
 * kept forever (evidence carries its own copy of the readings before a breach).
 *
 * The cron calls {@link thinReadings} every minute. Each call looks only at the slice of time
 * that crossed each age boundary lately (`lookbackMs`, default 2 hours, so a run missed here
 * and there is caught up), and deletes in batches of at most `batch` rows, at most
 * `maxBatches` statements per tier, so one call's work is bounded whatever the table's size.
 * In each (account, bucket) the earliest reading stays.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";

/** One tier: readings older than `ageMs` keep one per `bucketMs`. */
export interface RetentionTier {
  ageMs: number;
  bucketMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The tiers, youngest first. */
export const RETENTION_TIERS: readonly RetentionTier[] = [
  { ageMs: 7 * DAY, bucketMs: 5 * MINUTE },
  { ageMs: 90 * DAY, bucketMs: HOUR },
];

export interface ThinOptions {
  /** How far behind each boundary to look (ms). */
  lookbackMs?: number;
  /** Rows per delete statement. */
  batch?: number;
  /** Delete statements per tier per call. */
  maxBatches?: number;
  tiers?: readonly RetentionTier[];
}

/** What a call deleted, per tier (same order as the tiers). */
export interface ThinReport {
  deleted: number[];
  statements: number;
}

/**
 * Deletes one batch of surplus readings in `[from, to)`: all but the earliest per account
 * and bucket. Returns how many it deleted.
 */
async function thinBatch(
  db: Db,
  from: Date,
  to: Date,
  bucketMs: number,
  batch: number,
): Promise<number> {
  const result = await db.execute(sql`
    delete from readings where id in (
      select id from (
        select id, row_number() over (
          partition by account_id,
            date_bin(make_interval(secs => ${bucketMs / 1000}), at, timestamptz '2000-01-01 00:00:00+00')
          order by at, id
        ) as rn
        from readings
        where at >= ${from.toISOString()}::timestamptz and at < ${to.toISOString()}::timestamptz
      ) ranked
      where rn > 1
      limit ${batch}
    )`);
  return result.rowCount ?? 0;
}

/** Thins the readings that crossed each tier's age boundary lately; bounded work per call. */
export async function thinReadings(
  db: Db,
  now: number = Date.now(),
  opts: ThinOptions = {},
): Promise<ThinReport> {
  const lookback = opts.lookbackMs ?? 2 * HOUR;
  const batch = opts.batch ?? 5000;
  const maxBatches = opts.maxBatches ?? 10;
  const report: ThinReport = { deleted: [], statements: 0 };
  for (const tier of opts.tiers ?? RETENTION_TIERS) {
    // Align the slice to whole buckets, so a bucket is never split between two calls.
    const to = Math.floor((now - tier.ageMs) / tier.bucketMs) * tier.bucketMs;
    const from = to - Math.ceil(lookback / tier.bucketMs) * tier.bucketMs;
    let deleted = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await thinBatch(db, new Date(from), new Date(to), tier.bucketMs, batch);
      report.statements++;
      deleted += n;
      if (n < batch) break;
    }
    report.deleted.push(deleted);
  }
  return report;
}
