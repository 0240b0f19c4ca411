import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chunks,
  groupByShard,
  holdersAfterMoves,
  planShardMoves,
  shardsToReconcile,
  type ShardedRow,
} from "../../../../src/live/client/shard-plan.ts";
import { shardOf } from "../../../../src/live/core/shard.ts";

const rowsOf = (ids: number[], shards: number): ShardedRow[] =>
  ids.map((id) => ({ id, monitorShard: shardOf(id, shards) }));

describe("groupByShard", () => {
  it("splits a batch into one group per shard, every item in its account's shard", () => {
    const ids = Array.from({ length: 500 }, (_, i) => i + 1);
    const groups = groupByShard(ids, 4, (id) => id);
    expect([...groups.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect([...groups.values()].flat().sort((a, b) => a - b)).toEqual(ids);
    for (const [shard, group] of groups) for (const id of group) expect(shardOf(id, 4)).toBe(shard);
  });

  it("keeps one group for one shard", () => {
    expect([...groupByShard([5, 9, 1], 1, (id) => id)]).toEqual([[0, [5, 9, 1]]]);
  });
});

describe("chunks", () => {
  it("slices ids into bounded parts, none lost", () => {
    const ids = Array.from({ length: 25 }, (_, i) => i);
    const parts = chunks(ids, 10);
    expect(parts.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(parts.flat()).toEqual(ids);
    expect(chunks([], 10)).toEqual([]);
  });
});

describe("planShardMoves", () => {
  it("moves nothing when the recorded shards are those of the count", () => {
    expect(planShardMoves(rowsOf([1, 2, 3, 40, 500], 4), 4)).toEqual([]);
  });

  it("reads an unrecorded account as held by shard 0, the former singleton", () => {
    const rows = [1, 2, 3, 4, 5, 6].map((id) => ({ id, monitorShard: null }));
    expect(planShardMoves(rows, 1)).toEqual([]);
    const moves = planShardMoves(rows, 3);
    for (const m of moves)
      expect(m).toEqual({ accountId: m.accountId, from: 0, to: shardOf(m.accountId, 3) });
    expect(moves.map((m) => m.accountId)).toEqual(
      rows.filter((r) => shardOf(r.id, 3) !== 0).map((r) => r.id),
    );
  });

  it("growing from 4 to 5 shards moves only accounts to the new shard (about a fifth)", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const moves = planShardMoves(rowsOf(ids, 4), 5);
    for (const m of moves) expect(m.to).toBe(4);
    expect(moves.length).toBeGreaterThan(1_500);
    expect(moves.length).toBeLessThan(2_500);
  });

  it("shrinking from 5 to 2 moves every account off shards 2-4 and none between 0 and 1", () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => i + 1);
    const moves = planShardMoves(rowsOf(ids, 5), 2);
    for (const m of moves) {
      expect(m.from).toBeGreaterThanOrEqual(2);
      expect(m.to).toBeLessThan(2);
    }
    expect(moves.length).toBe(ids.filter((id) => shardOf(id, 5) >= 2).length);
  });

  it("after the moves, every account is recorded on the shard of the new count (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 16 }),
        (ids, before, after) => {
          const rows = rowsOf(ids, before);
          const moved = new Map(planShardMoves(rows, after).map((m) => [m.accountId, m.to]));
          for (const r of rows)
            expect(moved.get(r.id) ?? r.monitorShard).toBe(shardOf(r.id, after));
        },
      ),
    );
  });
});

describe("shardsToReconcile", () => {
  it("is 0..n-1 plus the recorded shards beyond, so a shrink drains them", () => {
    expect(shardsToReconcile(3, [])).toEqual([0, 1, 2]);
    expect(shardsToReconcile(2, [5, 1, 3, 5])).toEqual([0, 1, 3, 5]);
  });
});

describe("holdersAfterMoves", () => {
  it("gives a moved account to its new shard, an unmoved one to its recorded shard", () => {
    const rows: ShardedRow[] = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ id, monitorShard: 0 }));
    const moving = planShardMoves(rows, 3);
    expect(moving.length).toBeGreaterThan(1);
    // The first move completed, the others failed (their new shard did not take them).
    const done = new Set([moving[0]!.accountId]);
    const holders = holdersAfterMoves(rows, 3, done, [0, 1, 2]);
    expect(holders.get(shardOf(moving[0]!.accountId, 3))).toContain(moving[0]!.accountId);
    for (const m of moving.slice(1)) expect(holders.get(0)).toContain(m.accountId);
    expect([...holders.values()].flat().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("lists every shard to reconcile, an empty one with nothing to keep", () => {
    const holders = holdersAfterMoves([], 2, new Set(), [0, 1, 4]);
    expect([...holders]).toEqual([
      [0, []],
      [1, []],
      [4, []],
    ]);
  });
});
