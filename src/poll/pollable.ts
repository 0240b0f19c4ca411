/**
 * Which accounts the poller owns: active and not live (the live monitor owns live ones).
 * The one definition of the pollable set; every read of it goes through here.
 */
import { and, asc, count, eq, gt, inArray, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, type AccountRow } from "../db/schema.ts";

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

/** How many accounts a full sweep would poll now. */
export async function countPollable(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts).where(pollableWhere());
  return row?.n ?? 0;
}
