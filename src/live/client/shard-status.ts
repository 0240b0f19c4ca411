/**
 * The monitor over every shard, pure: each shard's status as `GET /v1/monitor` lists it under
 * `shards`, and the totals its top-level fields show (the fields of the single monitor of
 * before, summed or taken from the worst shard; never renamed).
 */
import type { LinkState, LinkStatus } from "../core/connection.ts";
import { mergeCoverage } from "../core/health.ts";
import type { LagFigures } from "../core/lag.ts";
import type { MonitorStatus } from "../core/status.ts";

/** One shard's status, with its number. */
export interface ShardStatus extends MonitorStatus {
  shard: number;
}

/** Worse link states first: the totals show the worst link among shards holding accounts. */
const BADNESS: Record<LinkState, number> = { closed: 3, backoff: 2, connecting: 1, open: 0 };

/** The connection the totals show: the worst among shards with subscriptions (reconnects summed). */
export function totalConnection(shards: readonly ShardStatus[]): LinkStatus {
  const holding = shards.filter((s) => s.subscriptions > 0);
  const pool = holding.length ? holding : shards.slice(0, 1);
  let worst = pool[0]!;
  for (const s of pool)
    if (BADNESS[s.connection.state] > BADNESS[worst.connection.state]) worst = s;
  let last: string | null = null;
  for (const s of shards) {
    const at = s.connection.last_message_at;
    if (at && (!last || at > last)) last = at;
  }
  return {
    ...worst.connection,
    reconnects: shards.reduce((sum, s) => sum + s.connection.reconnects, 0),
    last_message_at: last,
  };
}

/** Lag over shards: samples summed, each percentile the worst shard's (percentiles do not add). */
export function totalLag(lags: readonly LagFigures[]): LagFigures {
  const worst = (pick: (l: LagFigures) => number | null) => {
    let v: number | null = null;
    for (const l of lags) {
      const x = pick(l);
      if (x !== null && (v === null || x > v)) v = x;
    }
    return v;
  };
  return {
    samples: lags.reduce((sum, l) => sum + l.samples, 0),
    p50_ms: worst((l) => l.p50_ms),
    p99_ms: worst((l) => l.p99_ms),
    max_ms: worst((l) => l.max_ms),
  };
}

function sumEvents(shards: readonly ShardStatus[]): MonitorStatus["events"] {
  const total = { ...shards[0]!.events };
  for (const s of shards.slice(1))
    for (const key of Object.keys(total) as Array<keyof typeof total>)
      total[key] += s.events[key] ?? 0;
  return total;
}

/** Rows persisted per tick, summed over shards (each shard ticks on its own heartbeat). */
function sumPersisted(shards: readonly ShardStatus[]): MonitorStatus["rows_persisted_per_tick"] {
  const total = { last: 0, max: 0, backlog: 0 };
  for (const { rows_persisted_per_tick: p } of shards) {
    total.last += p.last;
    total.max += p.max;
    total.backlog += p.backlog;
  }
  return total;
}

/**
 * The totals of every shard, shaped as one monitor's status (the fields a shard reports that
 * this does not know are shard 0's). `shards` must not be empty.
 */
export function totalStatus(shards: readonly ShardStatus[]): MonitorStatus {
  const first = shards[0]!;
  const { shard: _shard, ...base } = first;
  const samples = (pick: (s: ShardStatus) => string[]) => shards.flatMap(pick).slice(0, 5);
  return {
    ...base,
    connection: totalConnection(shards),
    subscriptions: shards.reduce((sum, s) => sum + s.subscriptions, 0),
    events: sumEvents(shards),
    pending_writes: shards.reduce((sum, s) => sum + s.pending_writes, 0),
    lag: totalLag(shards.map((s) => s.lag)),
    unroutable_samples: samples((s) => s.unroutable_samples),
    invalid_samples: samples((s) => s.invalid_samples),
    oldest_pending_s: Math.max(...shards.map((s) => s.oldest_pending_s)),
    dead_letters: shards.reduce((sum, s) => sum + s.dead_letters, 0),
    coverage: shards.map((s) => s.coverage).reduce(mergeCoverage),
    link_down_s: Math.max(...shards.map((s) => s.link_down_s)),
    rows_persisted_per_tick: sumPersisted(shards),
    health: shards.some((s) => s.health === "degraded") ? "degraded" : "ok",
    reasons: [...new Set(shards.flatMap((s) => s.reasons))],
  };
}
