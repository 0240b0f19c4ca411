/**
 * Structured logs: one JSON line per event, from one list of named events (`events:connected`,
 * `poll:sweep`, `violation:recorded`, ...). Workers Logs indexes the fields. A new event is
 * added to {@link LOG_EVENTS} first: `log` takes no other name, so a typo fails the type check
 * instead of going unnoticed in the dashboards.
 *
 * Nothing secret reaches a log line (docs/security.md): an error is logged by its cause (a
 * database error's SQLSTATE and message, never the failed query's parameters), and every
 * line is run through the redactor (credential-looking pairs, bearer tokens, URL credentials).
 */
import { redactDbMessage, redactText } from "../domain/redact.ts";

/** Every event the Worker logs, by area. */
export const LOG_EVENTS = [
  // The Events link (src/live/events-link.ts, src/live/core/connection.ts).
  "events:backoff",
  "events:connected",
  "events:disconnected",
  "events:idle",
  "events:item_failed",
  "events:resubscribed",
  "events:send_failed",
  "events:service_error",
  "events:unroutable",
  // The live monitor (src/live/).
  "monitor:account_gone",
  "monitor:adjust_failed",
  "monitor:adjusted",
  "monitor:dead_letter",
  "monitor:degraded",
  "monitor:health_record_failed",
  "monitor:invalid_live_shards",
  "monitor:leaving",
  "monitor:move_flush_failed",
  "monitor:move_release_failed",
  "monitor:move_subscribe_failed",
  "monitor:moved",
  "monitor:reconcile_failed",
  "monitor:reconciled",
  "monitor:recovered",
  "monitor:reread",
  "monitor:reread_failed",
  "monitor:reread_handed_off",
  "monitor:reread_handoff_failed",
  "monitor:shard_record_failed",
  "monitor:shards_drained",
  "monitor:subscribe_failed",
  "monitor:subscribed",
  "monitor:unsubscribe_failed",
  "monitor:unsubscribed",
  // The live monitor's Postgres writer (src/live/writer.ts).
  "db:flush_failed",
  "db:recovered",
  // The poller and the cron (src/poll/, src/cron/).
  "poll:account_failed",
  "poll:batch",
  "poll:batch_failed",
  "poll:enqueued",
  "poll:health_degraded",
  "poll:stale_marked",
  "poll:stale_failed",
  "poll:health_failed",
  "poll:health_recovered",
  "poll:lease_release_failed",
  "poll:lease_renew_failed",
  "poll:live_reread",
  "poll:live_reread_failed",
  "poll:sweep",
  "poll:sweep_failed",
  "poll:sweep_requested",
  "poll:sweep_skipped",
  "retention:failed",
  "retention:thinned",
  "retention:trades_thinned",
  "sessions:prune_failed",
  // sessions and credentials (docs/mtapi-bridge.md), the sweep's retries (docs/never-blind.md)
  "credentials:keys_unusable",
  "credentials:unseal_failed",
  "secrets:session_unopened",
  "monitor:flush_abandoned",
  "monitor:renew_failed",
  "monitor:renew_record_failed",
  "session:renew_record_failed",
  "monitor:session_renewed",
  "poll:sweep_retried",
  "session:live_renew_failed",
  "session:live_renewed",
  "session:renew_conflict",
  "session:renew_error",
  "session:renew_failed",
  "session:renewed",
  // Trades and their rules (docs/trades.md): ingest, judging, the order handoff.
  "monitor:orders_handoff_failed",
  "trades:account_failed",
  "trades:event",
  "trades:event_failed",
  "trades:history_partial",
  "trades:judge_failed",
  "trades:judged",
  "trades:offsets_ignored",
  "trades:polled",
  "trades:read_failed",
  // What a reading decided (src/accounts/, src/poll/).
  "violation:recorded",
  "warning:reached",
  "objectives:met",
  // Alerts (src/alerts/).
  "alerts:batch",
  "alerts:batch_failed",
  "alerts:endpoint_disabled",
  "alerts:forwarded",
  "alerts:no_queue",
  "alerts:pass_failed",
  "alerts:rescued",
  "alerts:secret_unopened",
  "alerts:send_failed",
  // Enforcement (src/enforce/, docs/enforcement.md).
  "enforcement:alert_failed",
  "enforcement:created",
  "enforcement:done",
  "enforcement:failed",
  "enforcement:guard_failed",
  "enforcement:lock_guard",
  "enforcement:pass_failed",
  "enforcement:resumed",
  "enforcement:run_failed",
  "enforcement:shard_retry",
  "enforcement:unlocked",
  // The HTTP API (src/http/).
  "http:error",
  "http:key_touch_failed",
] as const;

/** The name of a logged event. */
export type LogEvent = (typeof LOG_EVENTS)[number];

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

/** Logs one event: its fields, and the error itself (as {@link describeError} keeps it). */
export function log(event: LogEvent, fields: Record<string, unknown> = {}, error?: unknown): void {
  const line: Record<string, unknown> = { event, ...fields };
  if (error !== undefined) line.error = describeError(error);
  (error === undefined ? console.log : console.error)(redactText(JSON.stringify(line)));
}
