/**
 * The one reader of Postgres errors: the SQLSTATE the driver reports, on the error or on its
 * `cause` (drizzle wraps driver errors), and the constraint a unique violation names. What a
 * failed write means for the writer that retries it: the database is out of reach (try the
 * same again later), the account is gone (the write is moot: done), or the write itself is
 * bad (it will never succeed: set it aside). The constraint names themselves belong to the
 * query modules that write the tables (src/accounts/queries.ts, src/http/key-store.ts).
 */

import { redactDbMessage } from "../domain/redact.ts";

/** How a write failed. */
export type WriteFailure = "outage" | "account_gone" | "bad_write";

/** SQLSTATE classes that say nothing about the write itself: connection, resources, timeouts. */
const TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58", "XX"]);
/** foreign_key_violation: the account row the write refers to no longer exists. */
const FOREIGN_KEY_VIOLATION = "23503";

/** unique_violation: an insert or update ran into a unique key. */
const UNIQUE_VIOLATION = "23505";

/** The driver error inside `err` (itself or a `cause`, 5 deep at most) that carries a SQLSTATE. */
function driverError(err: unknown): { code: string; constraint?: unknown } | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== "object") return undefined;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      return e as { code: string; constraint?: unknown };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The SQLSTATE of a driver error, if it carries one. */
export function sqlState(err: unknown): string | undefined {
  return driverError(err)?.code;
}

/** The unique key (constraint or unique index name) a failed write ran into, if that is how it failed. */
export function uniqueViolation(err: unknown): string | undefined {
  const pg = driverError(err);
  return pg?.code === UNIQUE_VIOLATION && typeof pg.constraint === "string"
    ? pg.constraint
    : undefined;
}

/** How a failed write failed; an error without a SQLSTATE (network, timeout) is an outage. */
export function writeFailure(err: unknown): WriteFailure {
  const state = sqlState(err);
  if (state === undefined || TRANSIENT_CLASSES.has(state.slice(0, 2))) return "outage";
  if (state === FOREIGN_KEY_VIOLATION) return "account_gone";
  return "bad_write";
}

/**
 * A short message of an error, for logs and dead letters: the cause's message (the driver's
 * error under drizzle's `Failed query`), its values masked (docs/security.md).
 */
export function errorMessage(err: unknown): string {
  const state = sqlState(err);
  const cause = (err as { cause?: unknown } | null)?.cause;
  const inner =
    cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  const masked = redactDbMessage(inner);
  return state ? `${state}: ${masked}` : masked;
}
