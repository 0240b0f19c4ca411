/**
 * Producing events: every alert is a row in the `webhook_messages` outbox, inserted by the
 * transaction that makes the change it reports, so that a change and its alert commit (or
 * fail) together and a crash between commit and send loses nothing: the forwarder
 * (forward.ts) picks up every row not yet dispatched, after a nudge or on the next cron.
 *
 * Callers: src/accounts/write-changes.ts (violations, live enter/exit, problem cleared),
 * src/accounts/state-change.ts (operator moves), `markProblems` (problems). For the risk v2
 * work (`account.warning`, `account.objectives_met`) and the monitor health work
 * (`monitor.degraded`/`monitor.recovered`): call {@link recordAlert} / {@link recordMonitorHealth}
 * inside the transaction that records the warning level, the objectives, or the health change,
 * then {@link nudgeAlerts} after it commits.
 */
import type { Db } from "../db/client.ts";
import { webhookMessages } from "../db/schema.ts";
import { newMessageId, type AlertInput, type EventData, type EventType } from "./events.ts";

/** A database or an open transaction. */
export type Writer = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Records events in the outbox (one statement); returns their message ids. */
export async function recordAlerts(
  tx: Writer,
  alerts: readonly AlertInput[],
  now: Date = new Date(),
): Promise<string[]> {
  if (alerts.length === 0) return [];
  const rows = alerts.map((a) => ({
    id: newMessageId(),
    type: a.type,
    payload: { type: a.type, timestamp: now.toISOString(), data: a.data },
    targetEndpointId: a.endpointId ?? null,
    createdAt: now,
  }));
  await tx.insert(webhookMessages).values(rows);
  return rows.map((r) => r.id);
}

/** Records one event in the outbox; returns its message id. */
export async function recordAlert<T extends EventType>(
  tx: Writer,
  type: T,
  data: EventData[T],
  now?: Date,
): Promise<string> {
  const [id] = await recordAlerts(tx, [{ type, data } as AlertInput], now);
  return id!;
}

/**
 * Records `monitor.degraded` or `monitor.recovered`: call it where `GET /v1/monitor`'s health
 * is seen to change, in the transaction that stores the new health.
 */
export async function recordMonitorHealth(
  tx: Writer,
  health: string,
  reasons: string[],
  degraded: boolean,
): Promise<string> {
  return recordAlert(tx, degraded ? "monitor.degraded" : "monitor.recovered", { health, reasons });
}

export { accountRef, type AlertInput } from "./events.ts";
export { nudgeAlerts } from "./nudge.ts";
