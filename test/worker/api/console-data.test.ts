import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { AccountMetrics } from "../../../src/domain/metrics.ts";
import { accountAdjustments, accounts, readings } from "../../../src/db/schema.ts";
import { createTestAccounts, withTestDb } from "../helpers.ts";
import { api, expectError } from "./helpers.ts";

function metrics(usage: number, equity: number): AccountMetrics {
  return {
    balance: 100_000,
    equity,
    day_start: 100_000,
    hwm: 100_000,
    daily_floor: 95_000,
    max_floor: 90_000,
    usage: { daily: usage, max: usage / 2, overall: usage },
    trading_day: "2026-11-20",
    updated_at: new Date().toISOString(),
    source: "poll",
  };
}

describe("GET /v1/accounts?sort=usage_desc", () => {
  it("lists the highest usage first, accounts without a reading last, paged by cursor", async () => {
    const tag = `atrisk${crypto.randomUUID().slice(0, 8)}`;
    const rows = await createTestAccounts(4, { inSim: false });
    const usages = [50, 99.5, null, 99.5];
    await withTestDb(async (db) => {
      for (const [i, row] of rows.entries()) {
        const u = usages[i]!;
        await db
          .update(accounts)
          .set({ label: `${tag} ${i}`, metrics: u === null ? null : metrics(u, 100_000 - u * 50) })
          .where(eq(accounts.id, row.id));
      }
    });
    const seen: Array<{ id: number; usage: number | null; distance: number | null }> = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/accounts?sort=usage_desc&q=${tag}&limit=1${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await api("GET", q);
      expect(res.status).toBe(200);
      for (const a of res.body.items)
        seen.push({
          id: a.id,
          usage: a.metrics?.usage.overall ?? null,
          distance: a.distance_to_floor,
        });
      cursor = res.body.next_cursor;
    } while (cursor);
    const ids = rows.map((r) => r.id);
    // Ties (99.5) by id, highest first.
    expect(seen.map((s) => s.id)).toEqual([ids[3], ids[1], ids[0], ids[2]]);
    // Equity 100000 - 99.5 * 50 = 95025, nearest floor 95000.
    expect(seen[0]!.distance).toBe(25);
    expect(seen[2]!.distance).toBe(2500);
    expect(seen[3]!.distance).toBeNull();
  });

  it("filters by preset and text, and the plain listing takes the same filters", async () => {
    const tag = `presetq${crypto.randomUUID().slice(0, 8)}`;
    const [a, b] = await createTestAccounts(2, { inSim: false, preset: "ftmo-1step" });
    await withTestDb(async (db) => {
      await db
        .update(accounts)
        .set({ label: `${tag} one` })
        .where(eq(accounts.id, a!.id));
      await db
        .update(accounts)
        .set({ label: `${tag} two` })
        .where(eq(accounts.id, b!.id));
    });
    for (const sort of ["usage_desc", "id_desc"]) {
      const hit = await api("GET", `/v1/accounts?sort=${sort}&preset=ftmo-1step&q=${tag}%20two`);
      expect(hit.body.items.map((x: { id: number }) => x.id)).toEqual([b!.id]);
      const miss = await api("GET", `/v1/accounts?sort=${sort}&preset=ftmo-2step&q=${tag}`);
      expect(miss.body.items).toEqual([]);
    }
  });

  it("takes % and _ in the text literally", async () => {
    const res = await api("GET", "/v1/accounts?sort=usage_desc&q=%25%25_%25");
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  it("refuses a bad sort, and a cursor of the other ordering, naming the field", async () => {
    const bad = await api("GET", "/v1/accounts?sort=usage");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain("sort");
    const idPage = await api("GET", "/v1/accounts?limit=1");
    const mixed = await api(
      "GET",
      `/v1/accounts?sort=usage_desc&cursor=${idPage.body.next_cursor}`,
    );
    expect(mixed.status).toBe(400);
    expectError(mixed.body, "validation_failed");
    expect(JSON.stringify(mixed.body.error.details)).toContain("cursor");
  });
});

describe("GET /v1/accounts/{id}/equity floors", () => {
  it("gives each reading the daily and max floors in force, a new day moving the daily floor", async () => {
    const [row] = await createTestAccounts(1, { inSim: false });
    const at = (iso: string) => new Date(iso);
    // ftmo-2step: daily 5% of 100000 off the day's start balance, max 10% static (90000).
    // Prague midnight is 23:00Z in November.
    await withTestDb((db) =>
      db.insert(readings).values([
        {
          accountId: row!.id,
          at: at("2026-11-20T08:00:00Z"),
          balance: 100_000,
          equity: 100_000,
          usage: 0,
          source: "poll",
        },
        {
          accountId: row!.id,
          at: at("2026-11-20T09:00:00Z"),
          balance: 98_000,
          equity: 97_000,
          usage: 60,
          source: "poll",
        },
        {
          accountId: row!.id,
          at: at("2026-11-21T08:00:00Z"),
          balance: 98_000,
          equity: 96_000,
          usage: 40,
          source: "poll",
        },
      ]),
    );
    const res = await api(
      "GET",
      `/v1/accounts/${row!.id}/equity?from=2026-11-20T00:00:00Z&to=2026-11-22T00:00:00Z`,
    );
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((p: { daily_floor: number; max_floor: number }) => [
        p.daily_floor,
        p.max_floor,
      ]),
    ).toEqual([
      [95_000, 90_000],
      [95_000, 90_000],
      [93_000, 90_000],
    ]);
  });
});

describe("GET /v1/accounts/{id}/equity floors from before the window", () => {
  it("starts the trailing max floor at the mark reached before the window, moved by a later withdrawal", async () => {
    const [row] = await createTestAccounts(1, { inSim: false, preset: "topstep-style" });
    const id = row!.id;
    const reading = (iso: string, money: number) => ({
      accountId: id,
      at: new Date(iso),
      balance: money,
      equity: money,
      usage: 0,
      source: "poll",
    });
    // topstep-style: 4% of 100,000 under the end-of-day high-water mark, locked at 100,000;
    // the day ends 17:00 Chicago (23:00Z). The 18th closes at 102,500; a 2,000 withdrawal on
    // the 19th brings the mark to 100,500; in the window the max floor is 96,500.
    await withTestDb(async (db) => {
      await db
        .insert(readings)
        .values([
          reading("2026-11-17T12:00:00Z", 100_000),
          reading("2026-11-18T15:00:00Z", 101_000),
          reading("2026-11-18T20:00:00Z", 102_500),
          reading("2026-11-19T20:00:00Z", 100_500),
          reading("2026-11-20T12:00:00Z", 100_000),
        ]);
      await db
        .insert(accountAdjustments)
        .values({ accountId: id, amount: -2_000, createdAt: new Date("2026-11-19T12:00:00Z") });
    });
    const res = await api(
      "GET",
      `/v1/accounts/${id}/equity?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({ equity: 100_000, max_floor: 96_500 });
  });
});
