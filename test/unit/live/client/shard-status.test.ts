import { describe, expect, it } from "vitest";
import { totalStatus, type ShardStatus } from "../../../../src/live/client/shard-status.ts";
import { newCounters, monitorStatus } from "../../../../src/live/core/status.ts";
import type { LinkState } from "../../../../src/live/core/connection.ts";

function shard(
  n: number,
  state: LinkState,
  subscriptions: number,
  extra: { received?: number; p99?: number; pending?: number; oldest?: number; dead?: number } = {},
): ShardStatus {
  const counters = {
    ...newCounters(),
    received: extra.received ?? 0,
    applied: extra.received ?? 0,
  };
  const p = extra.p99 ?? null;
  return {
    shard: n,
    ...monitorStatus(
      {
        state,
        url: "wss://events.example.com/",
        connected_since: state === "open" ? "2026-11-29T07:00:00.000Z" : null,
        reconnects: n,
        last_message_at: `2026-11-29T07:0${n}:00.000Z`,
      },
      subscriptions,
      counters,
      extra.pending ?? 0,
      { samples: p === null ? 0 : 10, p50_ms: p === null ? null : p / 2, p99_ms: p, max_ms: p },
      {
        oldestPendingS: extra.oldest ?? 0,
        deadLetters: extra.dead ?? 0,
        coverage: { max_unwatched_s: n, accounts_stale: 0 },
        linkDownS: 0,
        persisted: { last: n, max: 2 * n, backlog: extra.pending ?? 0 },
      },
    ),
  };
}

describe("totalStatus", () => {
  it("sums counts over shards and keeps the worst of the rest", () => {
    const t = totalStatus([
      shard(0, "open", 10, { received: 100, p99: 20, pending: 1, oldest: 3 }),
      shard(1, "open", 5, { received: 50, p99: 40, pending: 2, oldest: 9, dead: 1 }),
      shard(2, "open", 0, { received: 7 }),
    ]);
    expect(t.subscriptions).toBe(15);
    expect(t.events.received).toBe(157);
    expect(t.events.applied).toBe(157);
    expect(t.pending_writes).toBe(3);
    expect(t.oldest_pending_s).toBe(9);
    expect(t.dead_letters).toBe(1);
    expect(t.lag).toEqual({ samples: 20, p50_ms: 20, p99_ms: 40, max_ms: 40 });
    expect(t.coverage.max_unwatched_s).toBe(2);
    expect(t.connection.reconnects).toBe(3);
    expect(t.connection.last_message_at).toBe("2026-11-29T07:02:00.000Z");
    expect(t.health).toBe("degraded");
    expect(t.reasons).toEqual(["dead_letters"]);
    expect(t.rows_persisted_per_tick).toEqual({ last: 3, max: 6, backlog: 3 });
  });

  it("shows the worst link among shards holding accounts, ignoring an idle closed one", () => {
    const idle = totalStatus([shard(0, "open", 3), shard(1, "closed", 0)]);
    expect(idle.connection.state).toBe("open");
    const down = totalStatus([
      shard(0, "open", 3),
      shard(1, "backoff", 2),
      shard(2, "connecting", 1),
    ]);
    expect(down.connection.state).toBe("backoff");
    expect(totalStatus([shard(0, "closed", 0)]).connection.state).toBe("closed");
  });

  it("is the one monitor's status when there is one shard", () => {
    const one = shard(0, "open", 4, { received: 9, p99: 12, pending: 1, oldest: 2 });
    const { shard: _n, ...alone } = one;
    expect(totalStatus([one])).toEqual(alone);
  });
});
