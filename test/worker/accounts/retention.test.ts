import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { thinReadings, thinTrades } from "../../../src/accounts/retention.ts";
import { readings, trades, violations } from "../../../src/db/schema.ts";
import { createTestAccount, withTestDb } from "../helpers.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** A fixed "now" on a whole hour, so that buckets line up with the minutes written. */
const NOW = Date.UTC(2031, 0, 15, 12, 0, 0);

async function writeMinutes(accountId: number, fromMs: number, count: number) {
  await withTestDb((db) =>
    db.insert(readings).values(
      Array.from({ length: count }, (_, i) => ({
        accountId,
        at: new Date(fromMs + i * MIN),
        balance: 100_000,
        equity: 100_000 - i,
        usage: i,
        source: "poll",
      })),
    ),
  );
}

async function timesOf(accountId: number): Promise<number[]> {
  const rows = await withTestDb((db) =>
    db
      .select({ at: readings.at })
      .from(readings)
      .where(eq(readings.accountId, accountId))
      .orderBy(asc(readings.at)),
  );
  return rows.map((r) => r.at.getTime());
}

describe("thinReadings", () => {
  it("keeps full detail for 7 days, then the earliest reading of each 5 minutes", async () => {
    const { id } = await createTestAccount({ inSim: false, balance: 100_000 });
    const boundary = NOW - 7 * DAY;
    // One an hour before the boundary up to 30 minutes after it, one a minute.
    await writeMinutes(id, boundary - 60 * MIN, 90);
    const done = await withTestDb((db) => thinReadings(db, NOW));
    expect(done.deleted[0]).toBeGreaterThanOrEqual(48);
    const times = await timesOf(id);
    const older = times.filter((t) => t < boundary);
    const younger = times.filter((t) => t >= boundary);
    expect(younger).toHaveLength(30);
    expect(older).toEqual(Array.from({ length: 12 }, (_, i) => boundary - 60 * MIN + i * 5 * MIN));
    // A second call finds nothing more to do.
    const again = await withTestDb((db) => thinReadings(db, NOW));
    expect(again.deleted[0]).toBe(0);
  });

  it("keeps one an hour after 90 days", async () => {
    const { id } = await createTestAccount({ inSim: false });
    const boundary = NOW - 90 * DAY;
    await writeMinutes(id, boundary - 120 * MIN, 120);
    await withTestDb((db) => thinReadings(db, NOW));
    expect(await timesOf(id)).toEqual([boundary - 120 * MIN, boundary - 60 * MIN]);
  });

  it("bounds one call's work: at most batch x maxBatches rows per tier", async () => {
    const { id } = await createTestAccount({ inSim: false });
    const boundary = NOW + 3 * DAY - 7 * DAY; // its own slice of time, apart from the other tests
    await writeMinutes(id, boundary - 60 * MIN, 60);
    const later = NOW + 3 * DAY;
    const first = await withTestDb((db) => thinReadings(db, later, { batch: 5, maxBatches: 2 }));
    expect(first.deleted[0]).toBe(10);
    expect(first.statements).toBe(2 + 1);
    expect(await timesOf(id)).toHaveLength(50);
    // Later calls finish the job.
    for (let i = 0; i < 10; i++)
      await withTestDb((db) => thinReadings(db, later, { batch: 5, maxBatches: 2 }));
    expect(await timesOf(id)).toHaveLength(12);
  });
});

describe("thinTrades", () => {
  function trade(accountId: number, ticket: number, openMs: number, closeMs: number | null) {
    return {
      accountId,
      ticket,
      symbol: "EURUSD",
      orderType: "Buy",
      kind: "position" as const,
      state: closeMs === null ? ("open" as const) : ("closed" as const),
      lots: 1,
      openTime: new Date(openMs),
      closeTime: closeMs === null ? null : new Date(closeMs),
      source: "history",
    };
  }

  async function ticketsOf(accountId: number): Promise<number[]> {
    const rows = await withTestDb((db) =>
      db.select({ ticket: trades.ticket }).from(trades).where(eq(trades.accountId, accountId)),
    );
    return rows.map((r) => Number(r.ticket)).sort((a, b) => a - b);
  }

  it("deletes closed trades past the retention, keeping what a violation names and the latest opening", async () => {
    const { id } = await createTestAccount({ inSim: false });
    const { id: other } = await createTestAccount({ inSim: false });
    const old = NOW - 100 * DAY;
    await withTestDb(async (db) => {
      await db.insert(trades).values([
        trade(id, 1, old - DAY, old), // old, unreferenced: deleted
        trade(id, 2, old - DAY, old), // old, a violation names it: kept
        trade(id, 3, old - 2 * DAY, null), // still open: kept
        trade(id, 4, NOW - 10 * DAY, NOW - 9 * DAY), // young: kept
        {
          ...trade(id, 5, old, old),
          symbol: "",
          orderType: "Balance",
          kind: "balance" as const,
        }, // old balance operation: deleted
        trade(other, 2, old - DAY, old), // same ticket, other account, no violation: deleted
        trade(other, 7, old + DAY, old + 2 * DAY), // its latest opening (inactivity): kept
      ]);
      await db.insert(violations).values({
        accountId: id,
        rule: "min_hold_s",
        period: `2@${new Date(old - DAY).toISOString()}`,
        equity: 100_000,
        floor: 0,
        usage: 0,
        source: "poll",
        detectedAt: new Date(old),
        severity: "soft",
        ticket: 2,
      });
    });
    const done = await withTestDb((db) => thinTrades(db, NOW));
    expect(done.deleted).toBeGreaterThanOrEqual(3);
    expect(await ticketsOf(id)).toEqual([2, 3, 4]);
    expect(await ticketsOf(other)).toEqual([7]);
    const again = await withTestDb((db) => thinTrades(db, NOW));
    expect(await ticketsOf(id)).toEqual([2, 3, 4]);
    expect(again.statements).toBe(1);
  });

  it("bounds one call's work", async () => {
    const { id } = await createTestAccount({ inSim: false });
    const old = NOW - 200 * DAY;
    await withTestDb((db) =>
      db
        .insert(trades)
        .values(Array.from({ length: 12 }, (_, i) => trade(id, 100 + i, old + i * MIN, old + DAY))),
    );
    const first = await withTestDb((db) => thinTrades(db, NOW, { batch: 2, maxBatches: 2 }));
    expect(first.statements).toBe(2);
    expect(first.deleted).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 10; i++)
      await withTestDb((db) => thinTrades(db, NOW, { batch: 2, maxBatches: 2 }));
    // The latest opening stays.
    expect(await ticketsOf(id)).toEqual([111]);
  });
});
