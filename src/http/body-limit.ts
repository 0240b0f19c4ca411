/**
 * Every request body is limited before anything reads it, signed in or not (docs/security.md,
 * "Body size"): 1 MiB, calendar imports 5 MiB. Larger: `413` `payload_too_large`. Hono's
 * `bodyLimit` trusts a `Content-Length` and counts a streamed body as it arrives, so a 40 MiB
 * body is refused after 1 MiB has been read, never parsed.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "./errors.ts";

/** The limit of every body but the calendar import's, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The calendar import's limit (`POST /v1/calendar.csv`), in bytes. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

function tooLarge(max: number): never {
  throw new AppError(413, "payload_too_large", `request body larger than ${max} bytes`, {
    max_bytes: max,
  });
}

const standard = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => tooLarge(MAX_BODY_BYTES) });
const imports = bodyLimit({ maxSize: MAX_IMPORT_BYTES, onError: () => tooLarge(MAX_IMPORT_BYTES) });

/** The body limit of the request's route. */
export function limitBodies(): MiddlewareHandler {
  return (c, next) => (c.req.path === "/v1/calendar.csv" ? imports : standard)(c, next);
}
