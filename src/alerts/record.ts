/**
 * Producing events: every alert is a row in the `webhook_messages` outbox, and one
 * `webhook_deliveries` row per matching enabled endpoint, inserted (one statement) by the
 * transaction that makes the change it reports, so that a change and its alerts commit (or
 * fail) together. After the commit the writer sends one queue message per delivery
 * ({@link sendAlerts}); should that send be lost (a crash right after the commit), the cron
 * re-enqueues deliveries left pending (forward.ts, `rescueStale`), so nothing is lost.
 *
 * Callers: src/accounts/write-changes.ts (violations, live enter/exit, problem cleared),
 * src/accounts/state-change.ts (operator moves), `markProblems` (problems). For the risk v2
 * work (`account.warning`, `account.objectives_met`) and the monitor health work
 * (`monitor.degraded`/`monitor.recovered`): call {@link recordAlert} / {@link recordMonitorHealth}
 * inside the transaction that records the warning level, the objectives, or the health change,
 * then {@link sendAlerts} with what it returned once the transaction has committed.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  newMessageId,
  type AlertInput,
  type EventData,
  type EventType,
} from "../domain/alert-events.ts";
import type { Enqueue } from "./forward.ts";

/** A database or an open transaction. */
export type Writer = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

/** What recording produced: the message ids, and the deliveries to enqueue after commit. */
export interface Recorded {
  ids: string[];
  deliveries: Enqueue[];
}

/** Nothing recorded. */
export const NOTHING: Recorded = { ids: [], deliveries: [] };

/** Merges what several recordings produced. */
export function mergeRecorded(parts: readonly Recorded[]): Recorded {
  return {
    ids: parts.flatMap((p) => p.ids),
    deliveries: parts.flatMap((p) => p.deliveries),
  };
}

/**
 * Records events in the outbox with their deliveries, in one statement; `now` stamps the
 * messages and their deliveries (a fake clock in tests). An event given its own `id` that is
 * stored already is skipped, deliveries included (a retried recording stores it once).
 */
export async function recordAlerts(
  tx: Writer,
  alerts: readonly AlertInput[],
  now: Date = new Date(),
): Promise<Recorded> {
  if (alerts.length === 0) return NOTHING;
  const at = now.toISOString();
  const rows = alerts.map((a) => ({
    id: a.id ?? newMessageId(),
    type: a.type,
    payload: { type: a.type, timestamp: at, data: a.data },
    target: a.endpointId ?? null,
  }));
  const created = await tx.execute<{ id: string | number; failing: boolean }>(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as v(id text, type text, payload jsonb, target int)
    ), m as (
      insert into webhook_messages (id, type, payload, target_endpoint_id, created_at, dispatched_at)
      select id, type, payload, target, ${at}::timestamptz, ${at}::timestamptz from input
      on conflict (id) do nothing
      returning id, type, target_endpoint_id
    ), d as (
      insert into webhook_deliveries (message_id, endpoint_id, next_attempt_at, first_attempt_at, created_at)
      select m.id, e.id, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      from m join webhook_endpoints e on e.enabled
        and (m.target_endpoint_id is null or e.id = m.target_endpoint_id)
        and (e.events @> jsonb_build_array(m.type) or e.events @> '["*"]'::jsonb)
      returning id, endpoint_id
    )
    select d.id, e.failing_since is not null as failing
    from d join webhook_endpoints e on e.id = d.endpoint_id`);
  return {
    ids: rows.map((r) => r.id),
    deliveries: created.rows.map((r) => ({ id: Number(r.id), failing: Boolean(r.failing) })),
  };
}

/** Records one event (see {@link recordAlerts}). */
export async function recordAlert<T extends EventType>(
  tx: Writer,
  type: T,
  data: EventData[T],
  now?: Date,
): Promise<Recorded> {
  return recordAlerts(tx, [{ type, data } as AlertInput], now);
}

/**
 * Records `monitor.degraded` or `monitor.recovered` for a health change the monitor saw
 * (src/live/health-alerts.ts), under the message id it kept: recording it again stores
 * nothing more.
 */
export async function recordMonitorHealth(
  tx: Writer,
  change: { id: string; degraded: boolean; health: string; reasons: string[]; at: number },
  monitor: string,
): Promise<Recorded> {
  const type = change.degraded ? "monitor.degraded" : "monitor.recovered";
  const data = { health: change.health, reasons: change.reasons, monitor };
  return recordAlerts(tx, [{ id: change.id, type, data }], new Date(change.at));
}

export { accountRef, type AlertInput } from "../domain/alert-events.ts";
export { sendAlerts } from "./nudge.ts";
