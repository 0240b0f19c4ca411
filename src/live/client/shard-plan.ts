/**
 * Shard planning, pure: which shard each account goes to, how a batch splits into one call
 * per shard, and which live accounts move when `LIVE_SHARDS` changes (subscribe on the new
 * shard, record it, then release on the old one; src/live/client/reconcile-shards.ts).
 */
import { shardOf } from "../core/shard.ts";

/** A live account as the planner sees it: its id and the shard recorded as watching it. */
export interface ShardedRow {
  id: number;
  /** `accounts.monitor_shard`; null before any record, read as shard 0 (the former singleton). */
  monitorShard: number | null;
}

/** One live account moving between shards. */
export interface ShardMove {
  accountId: number;
  from: number;
  to: number;
}

/** The shard recorded as watching an account (null: shard 0, the former singleton). */
export function recordedShard(row: ShardedRow): number {
  return row.monitorShard ?? 0;
}

/**
 * Splits items into one group per shard, in first-seen order of the shards and the items:
 * a batch becomes one call per shard, never one per account.
 */
export function groupByShard<T>(
  items: readonly T[],
  shards: number,
  idOf: (item: T) => number,
): Map<number, T[]> {
  return groupBy(items, (item) => shardOf(idOf(item), shards));
}

/** Items grouped by a key (a shard), in first-seen order of the keys and the items. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Slices of at most `size` items (one query's bound parameters stay far below Postgres' 65,535). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The live accounts whose recorded shard is not the one `shards` gives them. */
export function planShardMoves(rows: readonly ShardedRow[], shards: number): ShardMove[] {
  const moves: ShardMove[] = [];
  for (const row of rows) {
    const from = recordedShard(row);
    const to = shardOf(row.id, shards);
    if (from !== to) moves.push({ accountId: row.id, from, to });
  }
  return moves;
}

/**
 * The shards to reconcile: 0 .. shards-1, and every recorded shard beyond them (so that
 * shrinking `LIVE_SHARDS` drains the shards left over), ascending.
 */
export function shardsToReconcile(shards: number, recorded: Iterable<number>): number[] {
  const all = new Set<number>();
  for (let i = 0; i < shards; i++) all.add(i);
  for (const s of recorded) if (Number.isInteger(s) && s >= 0) all.add(s);
  return [...all].sort((a, b) => a - b);
}

/**
 * Which shard holds each live account once the moves are done: its new shard when its move
 * completed (subscribed there), else the one recorded (an account never leaves the shard
 * that watches it before another holds it). Every shard to reconcile gets a list, maybe empty.
 */
export function holdersAfterMoves(
  rows: readonly ShardedRow[],
  shards: number,
  moved: ReadonlySet<number>,
  reconciled: readonly number[],
): Map<number, number[]> {
  const holders = new Map<number, number[]>(reconciled.map((s) => [s, []]));
  for (const row of rows) {
    const target = shardOf(row.id, shards);
    const recorded = recordedShard(row);
    const holder = recorded === target || moved.has(row.id) ? target : recorded;
    const list = holders.get(holder);
    if (list) list.push(row.id);
    else holders.set(holder, [row.id]);
  }
  return holders;
}
