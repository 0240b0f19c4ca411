/**
 * The poller's part of `GET /v1/monitor`'s health, announced: each minute the cron reads the
 * coverage of the polled accounts (pollable.ts) and, when their health differs from the last
 * announcement (`accounts_stale` or not), records `monitor.degraded` / `monitor.recovered`
 * with `data.monitor = "poller"` (docs/alerts.md). The live monitors announce their own health
 * (src/live/health-alerts.ts); together they cover every reason the API can show.
 *
 * The last announcement is the newest such message in the alert outbox, so nothing else is
 * stored; two crons racing in one minute share the message id and record it once.
 */
import { sql } from "drizzle-orm";
import { recordMonitorHealth, sendAlerts, type Recorded } from "../alerts/record.ts";
import { withDb, type Db } from "../db/client.ts";
import { log } from "../util/log.ts";
import { pollingCoverage } from "./pollable.ts";

/** The name health announcements of the poller carry in `data.monitor`. */
export const POLLER = "poller";

/** Whether the last announcement of `monitor` said degraded (false when there was none). */
export async function lastAnnouncedDegraded(db: Db, monitor: string): Promise<boolean> {
  const { rows } = await db.execute<{ type: string }>(sql`
    select type from webhook_messages
    where type in ('monitor.degraded', 'monitor.recovered')
      and payload->'data'->>'monitor' = ${monitor}
    order by created_at desc, id desc
    limit 1`);
  return rows[0]?.type === "monitor.degraded";
}

/** Announces a change of the polled accounts' health, if any; returns what it recorded. */
export async function announcePollerHealth(db: Db, now: number): Promise<Recorded | null> {
  const coverage = await pollingCoverage(db, now);
  const degraded = coverage.accounts_stale > 0;
  if (degraded === (await lastAnnouncedDegraded(db, POLLER))) return null;
  const change = {
    id: `msg_poller_${degraded ? "degraded" : "recovered"}_${Math.floor(now / 60_000)}`,
    degraded,
    health: degraded ? "degraded" : "ok",
    reasons: degraded ? ["accounts_stale"] : [],
    at: now,
  };
  const recorded = await db.transaction((tx) => recordMonitorHealth(tx, change, POLLER));
  log(degraded ? "poll:health_degraded" : "poll:health_recovered", {
    accounts_stale: coverage.accounts_stale,
    max_unwatched_s: coverage.max_unwatched_s,
  });
  return recorded;
}

/** The cron's step: announce, then send what was recorded once the transaction committed. */
export async function runPollerHealth(env: Env, now = Date.now()): Promise<void> {
  const recorded = await withDb(env, (db) => announcePollerHealth(db, now));
  if (recorded) await sendAlerts(recorded);
}
