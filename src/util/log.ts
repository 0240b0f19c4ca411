/**
 * Structured logs: one JSON line per event, with a small set of named events
 * (`events:connected`, `poll:sweep`, `violation:recorded`, ...). Workers Logs indexes the fields.
 *
 * Nothing secret reaches a log line (docs/security.md): an error is logged by its cause (a
 * database error's SQLSTATE and message, never the failed query's parameters), and every
 * line is run through the redactor (credential-looking pairs, bearer tokens, URL credentials).
 */
import { redactDbMessage, redactText } from "../domain/redact.ts";

/** What a log line keeps of an error. */
export interface LoggedError {
  name: string;
  message: string;
  /** The SQLSTATE of a database error. */
  code?: string;
  /** Postgres's fields naming what failed (never a value). */
  constraint?: string;
  table?: string;
  column?: string;
  /** Why it failed: the error underneath (drizzle wraps the driver's error). */
  cause?: LoggedError;
}

function field(obj: object, name: string): string | undefined {
  const v = (obj as Record<string, unknown>)[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * An error as a log line keeps it: name, message (masked: {@link redactDbMessage}), the
 * SQLSTATE and constraint of a database error, and its causes (at most 4 deep). A driver
 * error's `detail`, `where` and `query` parameters are left out: they quote values.
 */
export function describeError(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { name: "Error", message: redactText(String(error)) };
  const out: LoggedError = { name: error.name, message: redactDbMessage(error.message) };
  for (const name of ["code", "constraint", "table", "column"] as const) {
    const v = field(error, name);
    if (v !== undefined) out[name] = v;
  }
  if (error.cause !== undefined && depth < 4) out.cause = describeError(error.cause, depth + 1);
  return out;
}

export function log(event: string, fields: Record<string, unknown> = {}, error?: unknown): void {
  const line: Record<string, unknown> = { event, ...fields };
  if (error !== undefined) line.error = describeError(error);
  (error === undefined ? console.log : console.error)(redactText(JSON.stringify(line)));
}
