/**
 * Hand-offs between the poller / the API and the live monitors. Postgres is the record of
 * which accounts are live: callers write the state first, then tell the monitor. If the
 * monitor cannot be told (an RPC failure), the next minute's reconciliation repairs it.
 * A batch is split by shard (src/live/client/shard-plan.ts): one call per shard, never one
 * per account.
 */
import { inArray } from "drizzle-orm";
import type { AccountChange } from "../../domain/outcome.ts";
import { withDb } from "../../db/client.ts";
import { accounts, type AccountRow } from "../../db/schema.ts";
import { log } from "../../util/log.ts";
import type { RiskState } from "../../risk/index.ts";
import type { SubscribeInput } from "../core/subscriptions.ts";
import { monitorOfShard, shardCount } from "./address.ts";
import { chunks, groupByShard } from "./shard-plan.ts";
import { rulesFor } from "./stream-all.ts";

/** The subscription of an account row (with a risk state newer than the row's, if given). */
export function toSubscribeInput(row: AccountRow, riskState?: RiskState | null): SubscribeInput {
  return {
    account_id: row.id,
    login: row.login,
    server: row.server,
    session_id: row.sessionId,
    rules: row.rules,
    rules_version: row.rulesVersion,
    risk_state: riskState ?? row.riskState ?? null,
  };
}

/** The input as this configuration judges it (`STREAM_ALL`: src/live/client/stream-all.ts). */
export function configuredInput(env: Env, input: SubscribeInput): SubscribeInput {
  const rules = rulesFor(env, input.rules);
  return rules === input.rules ? input : { ...input, rules };
}

/** Records which shard watches each account now (`accounts.monitor_shard`), one update per shard. */
export async function recordShards(
  env: Env,
  byShard: ReadonlyMap<number, number[]>,
): Promise<void> {
  if (byShard.size === 0) return;
  await withDb(env, async (db) => {
    for (const [shard, ids] of byShard)
      for (const part of chunks(ids, 10_000))
        await db.update(accounts).set({ monitorShard: shard }).where(inArray(accounts.id, part));
  });
}

/**
 * Subscribes accounts on their shards (one call per shard, in parallel) and records the shard
 * of each; failures are logged and left to reconciliation.
 * @returns true when every shard took its accounts.
 */
export async function subscribeLive(env: Env, inputs: SubscribeInput[]): Promise<boolean> {
  if (inputs.length === 0) return true;
  const groups = groupByShard(
    inputs.map((i) => configuredInput(env, i)),
    shardCount(env),
    (i) => i.account_id,
  );
  const taken = new Map<number, number[]>();
  await Promise.all(
    [...groups].map(async ([shard, group]) => {
      try {
        await monitorOfShard(env, shard).subscribe(group);
        taken.set(
          shard,
          group.map((i) => i.account_id),
        );
      } catch (err) {
        log("monitor:subscribe_failed", { shard, accounts: group.length }, err);
      }
    }),
  );
  try {
    await recordShards(env, taken);
  } catch (err) {
    // Only a hint for moving accounts: reconciliation plans from what is recorded.
    log("monitor:shard_record_failed", { accounts: inputs.length }, err);
  }
  return taken.size === groups.size;
}

/**
 * The hand-off of a poll: subscribes the accounts that entered live monitoring, with the
 * risk state their reading left (newer than their rows').
 */
export function subscribeEntered(
  env: Env,
): (rows: AccountRow[], changes: AccountChange[]) => Promise<void> {
  return async (rows, changes) => {
    await subscribeLive(
      env,
      rows.map((r, i) => toSubscribeInput(r, changes[i]!.riskState)),
    );
  };
}

/**
 * Unsubscribes accounts from their shards (one call per shard); failures are logged and left
 * to reconciliation, which also drops an account from a shard it is moving away from.
 */
export async function unsubscribeLive(
  env: Env,
  accountIds: number[],
  reason: string,
): Promise<boolean> {
  if (accountIds.length === 0) return true;
  const groups = groupByShard(accountIds, shardCount(env), (id) => id);
  const done = await Promise.all(
    [...groups].map(async ([shard, ids]) => {
      try {
        await monitorOfShard(env, shard).unsubscribe(ids, reason);
        return true;
      } catch (err) {
        log("monitor:unsubscribe_failed", { shard, accounts: ids.length }, err);
        return false;
      }
    }),
  );
  return done.every(Boolean);
}
