/**
 * The admin API's one error shape (docs/api.md, "Auth and errors"):
 * `{"error": {"code", "message", "details"}}`. Routes throw an {@link AppError} (or Hono's
 * `HTTPException`); `app.onError` turns whatever was thrown into this shape, so no route
 * builds an error response by hand and nothing internal leaks from an unexpected failure.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountDeletedError } from "../accounts/archive.ts";
import { accountConflict } from "../accounts/queries.ts";
import { log } from "../util/log.ts";

/** The error codes the API answers with. */
export type ErrorCode =
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "rate_limited"
  | "payload_too_large"
  | "misconfigured"
  | "internal";

/** One problem with the input; `path` is dotted from the body, query or path root. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

/** An error a route means to answer with: status, code, a message for humans, details. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** 400: the request does not match the schema. */
export function badRequest(message: string, details: FieldIssue[] | null = null): AppError {
  return new AppError(400, "validation_failed", message, details);
}

/** 422: well-formed, but the rules do not make sense (risk engine issues). */
export function unprocessable(message: string, details: FieldIssue[]): AppError {
  return new AppError(422, "validation_failed", message, details);
}

/** 404 for a missing resource, e.g. `notFound("account", 42)`. */
export function notFound(what: string, id?: number | string, details: unknown = null): AppError {
  return new AppError(
    404,
    "not_found",
    id === undefined ? `${what} not found` : `${what} ${id} not found`,
    details,
  );
}

/**
 * `row` when it was found, else a 404 for it: `found(await findEndpoint(db, id), "webhook", id)`.
 * Every route answers a missing resource the same way through this.
 */
export function found<T>(row: T | null | undefined | false, what: string, id: number | string): T {
  if (row === null || row === undefined || row === false) throw notFound(what, id);
  return row;
}

/** 409: the request conflicts with the resource's current state. */
export function conflict(message: string, details: unknown = null): AppError {
  return new AppError(409, "conflict", message, details);
}

/** The status-to-code map for errors Hono (or its validators) throw as `HTTPException`. */
function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return "validation_failed";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    default:
      return "internal";
  }
}

/** The JSON error answer for `err`. */
export function errorResponse(c: Context, err: AppError): Response {
  const body: ErrorBody = { error: { code: err.code, message: err.message, details: err.details } };
  return c.json(body, err.status);
}

/**
 * `app.onError`: AppError as it is; HTTPException (malformed JSON, unsupported media type)
 * with its status; anything else is a 500 `internal` whose cause goes to the log only.
 */
export function onError(err: Error, c: Context): Response {
  if (err instanceof AppError) return errorResponse(c, err);
  // A change that met the delete under the row's lock (docs/api.md, "Deleting an account").
  if (err instanceof AccountDeletedError)
    return errorResponse(c, new AppError(409, "conflict", err.message, { status: "deleted" }));
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    const message =
      err.status === 415 ? "send a JSON body with Content-Type: application/json" : err.message;
    return errorResponse(c, new AppError(status, codeForStatus(status), message));
  }
  // A share link's token is a secret: never in a log line.
  const path = c.req.path.replace(/^\/(t|v1\/shared)\/[^/]*/, "/$1/***");
  log("http:error", { method: c.req.method, path }, err);
  return errorResponse(c, new AppError(500, "internal", "internal error"));
}

/** `app.notFound`: an unknown path answers in the same shape. */
export function onNotFound(c: Context): Response {
  return errorResponse(
    c,
    new AppError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`),
  );
}

/**
 * The 409 for a write that would give a second active account the same `session_id` (a
 * duplicate would misroute Events frames), or `err` itself for any other failure. The
 * session id is a secret: it never appears in the message.
 */
export function sessionConflictOr(err: unknown): unknown {
  return accountConflict(err) === "active_session"
    ? conflict("another active account uses this session_id", [
        { field: "session_id", issue: "in use by another active account" },
      ])
    : err;
}
