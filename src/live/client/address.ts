/**
 * Every address of a live monitor goes through here (account -> shard -> stub). An account's
 * shard is `shardOf(id, LIVE_SHARDS)` (src/live/core/shard.ts); shard 0 keeps the name of the
 * former singleton, so `LIVE_SHARDS = 1` is the single monitor of before.
 */
import { log } from "../../util/log.ts";
import type { LiveMonitor } from "../monitor.ts";
import { parseShardCount, shardName, shardOf } from "../core/shard.ts";

/** Values of `LIVE_SHARDS` already reported as invalid (one log line per isolate and value). */
const reported = new Set<string>();

/**
 * The configured shard count (`LIVE_SHARDS`, default 1). An invalid value (not a whole number
 * from 1 to 1024) logs `monitor:invalid_live_shards` once and counts as 1.
 */
export function shardCount(env: Env): number {
  const raw = env.LIVE_SHARDS;
  const n = parseShardCount(raw);
  if (raw !== undefined && raw !== "" && String(n) !== raw.trim() && !reported.has(raw)) {
    reported.add(raw);
    log("monitor:invalid_live_shards", { value: raw, using: n });
  }
  return n;
}

/** The monitor shard `i`. */
export function monitorOfShard(env: Env, shard: number): DurableObjectStub<LiveMonitor> {
  return env.LIVE_MONITOR.getByName(shardName(shard));
}

/** The monitor that watches (or would watch) an account. */
export function monitorFor(env: Env, accountId: number): DurableObjectStub<LiveMonitor> {
  return monitorOfShard(env, shardOf(accountId, shardCount(env)));
}

/** The configured shards, 0 .. LIVE_SHARDS-1. */
export function allShards(env: Env): number[] {
  return Array.from({ length: shardCount(env) }, (_, i) => i);
}
