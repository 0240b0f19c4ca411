/**
 * The live monitor's production `write` (writer.ts): one batch to Postgres over a pool
 * opened for it, within a deadline, so that a hung query never stalls the writer, and with
 * it the alarm, the watchdog and the day roll.
 */
import { markProblems, writeChanges, type WriteResult } from "../accounts/write-changes.ts";
import { withDbDeadline, type DbConfig } from "../db/client.ts";
import type { WriteBatch } from "./writer.ts";

/** A flush that has not committed by then is abandoned and its pool closed (ms). */
export const FLUSH_DEADLINE_MS = 20_000;

/**
 * Writes a batch to Postgres over a pool opened for it (the production `write`), within
 * `deadlineMs`: a hung query must not stall the writer, and with it the alarm and watchdog.
 * Past the deadline the pool is closed and the write fails as an outage (retried later).
 */
export function postgresWrite(
  config: DbConfig & { ENFORCEMENT?: string | undefined },
  deadlineMs = FLUSH_DEADLINE_MS,
): (batch: WriteBatch) => Promise<WriteResult> {
  // The enforcement actions a batch creates are run by the shard (enforcer.ts), handed on by
  // the writer once the batch committed (docs/enforcement.md, "Execution").
  return (batch) =>
    withDbDeadline(config, deadlineMs, "flush", async (db) => {
      const written = await writeChanges(db, batch.changes, batch.readingsFor, {
        enforcement: config.ENFORCEMENT,
      });
      await markProblems(db, batch.problems);
      return written;
    });
}
