import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { thinReadings } from "../../../src/accounts/retention.ts";
import { readings } from "../../../src/db/schema.ts";
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
