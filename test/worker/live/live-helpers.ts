/** Helpers for the live monitor tests: a fresh monitor per test, and simulator waits. */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { accounts, type AccountRow } from "../../../src/db/schema.ts";
import { toSubscribeInput } from "../../../src/live/client/handoff.ts";
import type { LiveMonitor } from "../../../src/live/monitor.ts";
import { sim, trackMonitor, withTestDb } from "../helpers.ts";

/** A monitor no other test uses, emptied after the test (test/worker/setup.ts). */
export function freshMonitor(): DurableObjectStub<LiveMonitor> {
  return trackMonitor(`test-monitor-${crypto.randomUUID()}`);
}

export interface SimState {
  connections: number;
  total_connections: number;
  refused: number;
  subscriptions: Array<{ session_id: string; connections: number }>;
  received: { subscribe: number; unsubscribe: number; invalid: number };
}

export function simState(): Promise<SimState> {
  return sim<SimState>("/state");
}

/** Waits (on the simulator's side, no sleeping) until every condition holds. */
export async function simWait(
  until: Record<string, unknown>,
  timeout_ms = 10_000,
): Promise<SimState> {
  return sim<SimState>("/wait", { until, timeout_ms });
}

/** Marks accounts live in Postgres (as the poller would) and subscribes them. */
export async function goLive(
  monitor: DurableObjectStub<LiveMonitor>,
  rows: AccountRow[],
): Promise<void> {
  await withTestDb(async (db) => {
    for (const r of rows)
      await db.update(accounts).set({ monitoringState: "live" }).where(eq(accounts.id, r.id));
  });
  await monitor.subscribe(rows.map((r) => toSubscribeInput({ ...r, monitoringState: "live" })));
}

/** Sends a frame through the simulator to the connections subscribed to `session_id` (or all). */
export function emit(
  frame: unknown,
  opts: { session_id?: string; binary?: boolean } = {},
): Promise<{ sent: number }> {
  return sim("/emit", { frame, ...opts });
}
