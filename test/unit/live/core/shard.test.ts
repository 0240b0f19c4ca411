import { describe, expect, it } from "vitest";
import { parseShardCount, shardName, shardOf } from "../../../../src/live/core/shard.ts";

describe("shardOf", () => {
  it("puts every account on shard 0 when there is one shard", () => {
    for (const id of [1, 2, 99, 123_456]) expect(shardOf(id, 1)).toBe(0);
  });

  it("gives the same shard for the same id and count, within range", () => {
    for (let id = 1; id <= 2000; id++) {
      const s = shardOf(id, 8);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(8);
      expect(shardOf(id, 8)).toBe(s);
    }
  });

  it("spreads 100,000 ids over 8 shards within 5% of even", () => {
    const counts = new Array<number>(8).fill(0);
    for (let id = 1; id <= 100_000; id++) counts[shardOf(id, 8)]!++;
    for (const c of counts) expect(Math.abs(c - 12_500)).toBeLessThan(625);
  });

  it("moves only the accounts that go to the new shard when the count grows by one", () => {
    let moved = 0;
    for (let id = 1; id <= 20_000; id++) {
      const before = shardOf(id, 7);
      const after = shardOf(id, 8);
      if (before !== after) {
        expect(after).toBe(7);
        moved++;
      }
    }
    // About 1/8 of the accounts move, all to the new shard.
    expect(moved).toBeGreaterThan(20_000 / 8 - 400);
    expect(moved).toBeLessThan(20_000 / 8 + 400);
  });
});

describe("shard configuration", () => {
  it("reads LIVE_SHARDS as a whole number from 1 to 1024, else 1", () => {
    expect(parseShardCount(undefined)).toBe(1);
    expect(parseShardCount("8")).toBe(8);
    expect(parseShardCount("0")).toBe(1);
    expect(parseShardCount("2.5")).toBe(1);
    expect(parseShardCount("abc")).toBe(1);
    expect(parseShardCount("5000")).toBe(1);
  });

  it("names shard 0 like the former singleton", () => {
    expect(shardName(0)).toBe("live-monitor-0");
    expect(shardName(7)).toBe("live-monitor-7");
  });
});
