/**
 * The cron's minute for the live side, over every shard: move the live accounts whose shard
 * changed (a new `LIVE_SHARDS`), then reconcile each shard with the live accounts it holds,
 * several shards at a time (one round of calls per shard, never one per account).
 *
 * A move never leaves an account unwatched: its old shard's pending writes are flushed (so the
 * risk state read back from Postgres is current), the new shard subscribes it, the new shard
 * is recorded (`accounts.monitor_shard`), and only then does the old shard release it. A move
 * that fails leaves the account on its old shard, whose reconciliation keeps it; the next
 * minute tries again. Shards beyond `LIVE_SHARDS` still recorded are reconciled too (with
 * nothing to keep), so shrinking drains them; once empty they are forgotten.
 */
import { and, eq, gte, inArray } from "drizzle-orm";
import { withDb } from "../../db/client.ts";
import { accounts, type AccountRow } from "../../db/schema.ts";
import { log } from "../../util/log.ts";
import { mapWithConcurrency } from "../../util/concurrency.ts";
import type { SubscribeInput } from "../core/subscriptions.ts";
import { monitorOfShard, shardCount } from "./address.ts";
import { configuredInput, recordShards, toSubscribeInput } from "./handoff.ts";
import {
  chunks,
  groupBy,
  holdersAfterMoves,
  planShardMoves,
  shardsToReconcile,
  type ShardMove,
} from "./shard-plan.ts";

/** Shards called at once (each call is one outbound request of the cron's invocation). */
export const SHARD_CONCURRENCY = 4;

/** Account ids per query (bound parameters). */
const ID_CHUNK = 10_000;

/** Observers of a reconciliation's steps (tests look between them). */
export interface ReconcileHooks {
  /** After the moving accounts are subscribed on their new shards, before the old release them. */
  afterMoveSubscribed?: (moves: readonly ShardMove[]) => Promise<void>;
}

/** What one minute's reconciliation did. */
export interface ReconcileReport {
  added: number;
  removed: number;
  /** Accounts moved to another shard (subscribed there, then released on the old one). */
  moved: number;
  /** Shards reconciled. */
  shards: number;
}

/**
 * Moves accounts to their new shards, subscribe before release.
 * @returns the ids now subscribed on their new shard.
 */
async function moveAccounts(
  env: Env,
  planned: readonly ShardMove[],
  rows: ReadonlyMap<number, AccountRow>,
  hooks: ReconcileHooks,
): Promise<Set<number>> {
  let moves = planned;
  if (moves.length === 0) return new Set();
  const fromShards = [...groupBy(moves, (m) => m.from).keys()];
  // The old shards' pending writes first, so the risk states read back are current.
  await mapWithConcurrency(fromShards, SHARD_CONCURRENCY, (shard) =>
    monitorOfShard(env, shard)
      .flushNow()
      .catch((err: unknown) => log("monitor:move_flush_failed", { shard }, err)),
  );
  const fresh = await withDb(env, async (db) => {
    const found: Array<{ id: number; riskState: AccountRow["riskState"] }> = [];
    for (const ids of chunks(
      moves.map((m) => m.accountId),
      ID_CHUNK,
    ))
      found.push(
        ...(await db
          .select({ id: accounts.id, riskState: accounts.riskState })
          .from(accounts)
          .where(
            and(
              inArray(accounts.id, ids),
              eq(accounts.status, "active"),
              eq(accounts.monitoringState, "live"),
            ),
          )),
      );
    return found;
  });
  // An account that left live meanwhile (its flushed breach) stays where it is, to be let go.
  const riskOf = new Map(fresh.map((r) => [r.id, r.riskState]));
  moves = moves.filter((m) => riskOf.has(m.accountId));
  const inputOf = (id: number): SubscribeInput => {
    const row = rows.get(id)!;
    return configuredInput(env, toSubscribeInput(row, riskOf.get(id) ?? null));
  };

  const subscribed: ShardMove[] = [];
  await mapWithConcurrency(
    [...groupBy(moves, (m) => m.to)],
    SHARD_CONCURRENCY,
    async ([to, ms]) => {
      try {
        await monitorOfShard(env, to).subscribe(ms.map((m) => inputOf(m.accountId)));
        subscribed.push(...ms);
      } catch (err) {
        log("monitor:move_subscribe_failed", { shard: to, accounts: ms.length }, err);
      }
    },
  );
  if (subscribed.length === 0) return new Set();
  try {
    await recordShards(
      env,
      new Map(
        [...groupBy(subscribed, (m) => m.to)].map(([s, ms]) => [s, ms.map((m) => m.accountId)]),
      ),
    );
  } catch (err) {
    // Held by both shards: the old one drops it in its reconciliation below; recorded next minute.
    log("monitor:shard_record_failed", { accounts: subscribed.length }, err);
  }
  await hooks.afterMoveSubscribed?.(subscribed);
  await mapWithConcurrency(
    [...groupBy(subscribed, (m) => m.from)],
    SHARD_CONCURRENCY,
    async ([from, ms]) => {
      try {
        await monitorOfShard(env, from).unsubscribe(
          ms.map((m) => m.accountId),
          "moved to another shard",
        );
      } catch (err) {
        // Its reconciliation below drops them (they are not in its list any more).
        log("monitor:move_release_failed", { shard: from, accounts: ms.length }, err);
      }
    },
  );
  log("monitor:moved", {
    accounts: subscribed.length,
    account_ids: subscribed.slice(0, 20).map((m) => `${m.accountId}:${m.from}->${m.to}`),
  });
  return new Set(subscribed.map((m) => m.accountId));
}

/**
 * Wakes every shard and makes its subscriptions match the accounts Postgres marks live and
 * assigns to it (the seed's own test sets `monitoring_state = 'live'` in SQL and expects the
 * subscriptions to follow).
 */
export async function reconcileLive(
  env: Env,
  now: () => number = Date.now,
  hooks: ReconcileHooks = {},
): Promise<ReconcileReport> {
  const n = shardCount(env);
  const snapshotAt = now();
  const { rows, beyond } = await withDb(env, async (db) => ({
    rows: await db
      .select()
      .from(accounts)
      .where(and(eq(accounts.status, "active"), eq(accounts.monitoringState, "live"))),
    beyond: await db
      .selectDistinct({ shard: accounts.monitorShard })
      .from(accounts)
      .where(gte(accounts.monitorShard, n)),
  }));
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const moved = await moveAccounts(env, planShardMoves(rows, n), rowById, hooks);
  const shards = shardsToReconcile(
    n,
    beyond.map((b) => b.shard ?? 0),
  );
  const holders = holdersAfterMoves(rows, n, moved, shards);

  const results = await mapWithConcurrency(
    [...holders],
    SHARD_CONCURRENCY,
    async ([shard, ids]) => {
      try {
        const monitor = monitorOfShard(env, shard);
        const inputs = ids.map((id) => configuredInput(env, toSubscribeInput(rowById.get(id)!)));
        const r = await monitor.reconcile(snapshotAt, inputs);
        const status = await monitor.ensureRunning();
        return { shard, ...r, empty: status.subscriptions === 0 && status.pending_writes === 0 };
      } catch (err) {
        log("monitor:reconcile_failed", { shard }, err);
        return null;
      }
    },
  );

  // Record where the rest are held (a first record, or one reconciliation subscribed).
  const toRecord = new Map<number, number[]>();
  for (const r of results) {
    if (!r) continue;
    const ids = holders
      .get(r.shard)!
      .filter((id) => !moved.has(id) && rowById.get(id)!.monitorShard !== r.shard);
    if (ids.length) toRecord.set(r.shard, ids);
  }
  await recordShards(env, toRecord).catch((err: unknown) =>
    log("monitor:shard_record_failed", { shards: [...toRecord.keys()] }, err),
  );

  // Shards beyond LIVE_SHARDS that hold nothing now are forgotten (no longer reconciled).
  const drained = results.filter((r) => r && r.shard >= n && r.empty).map((r) => r!.shard);
  if (drained.length) {
    await withDb(env, (db) =>
      db
        .update(accounts)
        .set({ monitorShard: null })
        .where(inArray(accounts.monitorShard, drained)),
    );
    log("monitor:shards_drained", { shards: drained });
  }
  let added = 0;
  let removed = 0;
  for (const r of results) {
    added += r?.added ?? 0;
    removed += r?.removed ?? 0;
  }
  return { added, removed, moved: moved.size, shards: shards.length };
}
