/**
 * Which accounts the poller owns: active and not live (the live monitor owns live ones).
 * The one definition of the pollable set; every read of it goes through here.
 */
import { and, asc, count, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, type AccountRow } from "../db/schema.ts";
import { POLLING_STALE_S, secondsSince, type Coverage } from "../live/core/health.ts";

/** Narrows the pollable set: ids after `afterId`, or only the given ids. */
export interface PollableFilter {
  afterId?: number;
  ids?: readonly number[];
}

function pollableWhere(f: PollableFilter = {}): SQL | undefined {
  return and(
    eq(accounts.status, "active"),
    eq(accounts.monitoringState, "polling"),
    f.afterId !== undefined ? gt(accounts.id, f.afterId) : undefined,
    f.ids !== undefined ? inArray(accounts.id, [...f.ids]) : undefined,
  );
}

/** Pollable accounts by id, up to `limit` of them. */
export async function selectPollable(
  db: Db,
  f: PollableFilter = {},
  limit = 1000,
): Promise<AccountRow[]> {
  if (f.ids?.length === 0) return [];
  return db.select().from(accounts).where(pollableWhere(f)).orderBy(asc(accounts.id)).limit(limit);
}

/** When an account was last read, in SQL: its engine state's last reading (epoch ms), 0 when never. */
const lastReadSql = sql<number>`coalesce((${accounts.riskState}->>'last_at')::float8, 0)`;

/**
 * The ids of every pollable account in the order a sweep reads them: longest unread first
 * (never read first, ties by id), so a sweep cut short has read those nearest their window.
 * With `notReadSince` (epoch ms), only those not read since (a retried sweep's remainder).
 */
export async function selectSweepOrder(db: Db, notReadSince?: number): Promise<number[]> {
  const rows = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(
      and(
        pollableWhere(),
        notReadSince !== undefined ? sql`${lastReadSql} < ${notReadSince}` : undefined,
      ),
    )
    .orderBy(asc(lastReadSql), asc(accounts.id));
  return rows.map((r) => r.id);
}

/** How many accounts a full sweep would poll now. */
export async function countPollable(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts).where(pollableWhere());
  return row?.n ?? 0;
}

/**
 * How well the polled accounts are watched at `now` (epoch ms): the longest any of them has
 * gone without a reading (its engine state's last reading, or its creation when never read)
 * and how many are past POLLING_STALE_S.
 */
export async function pollingCoverage(db: Db, now: number): Promise<Coverage> {
  const lastRead = sql`coalesce((${accounts.riskState}->>'last_at')::float8, extract(epoch from ${accounts.createdAt}) * 1000)`;
  const [row] = await db
    .select({
      oldest: sql<number | null>`min(${lastRead})`,
      stale: sql<number>`count(*) filter (where ${lastRead} < ${now - POLLING_STALE_S * 1000})`,
    })
    .from(accounts)
    .where(pollableWhere());
  const oldest = row?.oldest === null || row?.oldest === undefined ? now : Number(row.oldest);
  return { max_unwatched_s: secondsSince(oldest, now), accounts_stale: Number(row?.stale ?? 0) };
}
