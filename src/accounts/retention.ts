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
 *
 * Trades (docs/trades.md, "Retention") are kept whole for {@link TRADE_RETENTION_DAYS} days
 * after they closed, then deleted by {@link thinTrades}, except what a record still needs:
 * a trade whose ticket a violation of its account names (the violation's evidence carries its
 * own copy of the trade too), and each account's latest-opened position (the inactivity
 * rule's clock). Trading days are kept apart (`trade_sync.trade_days`), so none is lost.
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

/** Closed trades are kept whole this long after they closed. */
export const TRADE_RETENTION_DAYS = 90;

export interface ThinTradesOptions {
  /** Rows per delete statement. */
  batch?: number;
  /** Delete statements per call. */
  maxBatches?: number;
  retentionDays?: number;
}

/**
 * Deletes closed (or vanished) trades older than the retention, in bounded batches, keeping
 * those a violation names and each account's latest-opened position. Returns how many.
 */
export async function thinTrades(
  db: Db,
  now: number = Date.now(),
  opts: ThinTradesOptions = {},
): Promise<{ deleted: number; statements: number }> {
  const batch = opts.batch ?? 5000;
  const maxBatches = opts.maxBatches ?? 10;
  const before = new Date(now - (opts.retentionDays ?? TRADE_RETENTION_DAYS) * DAY);
  let deleted = 0;
  let statements = 0;
  for (let i = 0; i < maxBatches; i++) {
    const result = await db.execute(sql`
      delete from trades where id in (
        select t.id from trades t
        where t.state <> 'open'
          and coalesce(t.close_time, t.updated_at) < ${before.toISOString()}::timestamptz
          and not exists (
            select 1 from violations v where v.account_id = t.account_id and v.ticket = t.ticket)
          and t.id <> coalesce((
            select l.id from trades l
            where l.account_id = t.account_id and l.kind = 'position'
            order by l.open_time desc, l.id desc limit 1), 0)
        order by t.id
        limit ${batch}
      )`);
    statements++;
    const n = result.rowCount ?? 0;
    deleted += n;
    if (n < batch) break;
  }
  return { deleted, statements };
}
