/**
 * The Monitor view's arithmetic: shards of a status (version 1 or 2), and events per second
 * from successive samples of the `events.received` total.
 */
import type { MonitorStatus, Shard } from "./types.ts";

/** A status as a version 1 server answers it (no `shards`), or as today's does. */
export type AnyMonitorStatus = Pick<
  MonitorStatus,
  "connection" | "subscriptions" | "events" | "pending_writes"
> & { shards?: readonly Shard[] };

/** Shards as the server lists them, or the single monitor of version 1 as shard 0. */
export function shardsOf(m: AnyMonitorStatus): readonly Shard[] {
  if (m.shards?.length) return m.shards;
  return [
    {
      shard: 0,
      connection: m.connection,
      subscriptions: m.subscriptions,
      events: m.events,
      pending_writes: m.pending_writes,
    },
  ];
}

/** Rates (events/s) between successive samples of a counter, dropping resets (counter went down). */
export function rates(samples: ReadonlyArray<{ t: number; n: number }>): {
  xs: number[];
  ys: number[];
} {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0 || b.n < a.n) continue;
    xs.push(b.t / 1000);
    ys.push((b.n - a.n) / dt);
  }
  return { xs, ys };
}
