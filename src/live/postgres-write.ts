/**
 * The live monitor's production `write` (writer.ts): one batch to Postgres over a pool
 * opened for it, within a deadline, so that a hung query never stalls the writer, and with
 * it the alarm, the watchdog and the day roll.
 */
import { markProblems, writeChanges, type WriteResult } from "../accounts/write-changes.ts";
import { withDb, withDbDeadline, type DbConfig } from "../db/client.ts";
import { runCreated } from "../enforce/run.ts";
import { log } from "../util/log.ts";
import type { WriteBatch } from "./writer.ts";

/** A flush that has not committed by then is abandoned and its pool closed (ms). */
export const FLUSH_DEADLINE_MS = 20_000;

/**
 * Writes a batch to Postgres over a pool opened for it (the production `write`), within
 * `deadlineMs`: a hung query must not stall the writer, and with it the alarm and watchdog.
 * Past the deadline the pool is closed and the write fails as an outage (retried later).
 */
export function postgresWrite(
  config: DbConfig & { ENFORCEMENT?: string | undefined; MTAPI_URL?: string | undefined },
  deadlineMs = FLUSH_DEADLINE_MS,
): (batch: WriteBatch) => Promise<WriteResult> {
  return async (batch) => {
    const result = await withDbDeadline(config, deadlineMs, "flush", async (db) => {
      const written = await writeChanges(db, batch.changes, batch.readingsFor, {
        enforcement: config.ENFORCEMENT,
      });
      await markProblems(db, batch.problems);
      return written;
    });
    // A live breach is acted on at once, beside the writer (never holding up its next flush);
    // an eviction meanwhile leaves it to the cron's pass over due actions
    // (docs/enforcement.md, "Execution").
    if (result.actions.length > 0 && config.MTAPI_URL) {
      const mtapiUrl = config.MTAPI_URL;
      void withDb(config, (db) => runCreated(db, { MTAPI_URL: mtapiUrl })(result.actions)).catch(
        (err: unknown) => log("enforcement:run_failed", { actions: result.actions.length }, err),
      );
    }
    return result;
  };
}
