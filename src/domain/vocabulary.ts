/**
 * The words every layer shares: an account's status, its problems, its monitoring states and
 * where a reading came from. The database columns take their values from here (src/db/schema.ts).
 */
import type { MonitoringState, ReadingSource } from "../risk/index.ts";

/**
 * An account's status: watched, breached (until an operator resets it), switched off (the
 * version 1 `DELETE`; no longer made), or deleted: archived, unwatched, its secrets wiped, its
 * history kept, hidden from lists unless asked for (docs/api.md, "Deleting an account").
 */
export const ACCOUNT_STATUSES = ["active", "breached", "disabled", "deleted"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
/**
 * Why an account is not judged normally (`problem`, with `problem_since`; null when it is),
 * docs/mtapi-bridge.md:
 * - `token_invalid`: MTAPI does not know the session token (`INVALID_TOKEN`); being renewed;
 * - `session_expired`: the token is dead and cannot be renewed (no stored credentials, or
 *   `ConnectByToken` refused): an operator must paste a new one;
 * - `credentials_rejected`: `ConnectEx` answered `INVALID_ACCOUNT`: final until changed;
 * - `upstream_unavailable`: the bridge or broker server is not available (`SERVICE_NOT_AVAILABLE`,
 *   `MARKET_CLOSED`, `CONNECT_ERROR`): not the account's fault;
 * - `mtapi_unreachable`: network errors, timeouts, answers that are not what was asked for;
 * - `unsynced`: MTAPI answered figures that are not yet the account's (`synced: false`, or
 *   zeros where the last balance was not zero): never a reading;
 * - `stale`: no usable reading for longer than the staleness window;
 * - `invalid_rules`: rules the engine cannot evaluate (one bad account never stops the others).
 */
export const ACCOUNT_PROBLEMS = [
  "token_invalid",
  "session_expired",
  "credentials_rejected",
  "upstream_unavailable",
  "mtapi_unreachable",
  "unsynced",
  "stale",
  "invalid_rules",
] as const;
export type AccountProblem = (typeof ACCOUNT_PROBLEMS)[number];
/** The problems an MTAPI answer can give (all but the engine's own). */
export type ReadProblem = Exclude<AccountProblem, "invalid_rules" | "stale">;
/** The MTAPI error codes (docs/mtapi-bridge.md), as the bridge spells them. */
export const MTAPI_ERROR_CODES = [
  "INVALID_TOKEN",
  "INVALID_ACCOUNT",
  "SERVICE_NOT_AVAILABLE",
  "MARKET_CLOSED",
  "CONNECT_ERROR",
  "TIMEOUT",
  "INVALID_TICKET",
  "NULL_ARGUMENT",
] as const;
export type MtapiErrorCode = (typeof MTAPI_ERROR_CODES)[number];
/**
 * The problem an MTAPI error code means for the account whose call answered it. A closed
 * market or a broker server that is down is `upstream_unavailable`, never the account's own
 * fault; an unknown code is treated as the bridge failing (`mtapi_unreachable`).
 */
export function problemOfCode(code: string): ReadProblem {
  switch (code.trim().toUpperCase()) {
    case "INVALID_TOKEN":
    case "NULL_ARGUMENT":
      return "token_invalid";
    case "INVALID_ACCOUNT":
      return "credentials_rejected";
    case "SERVICE_NOT_AVAILABLE":
    case "MARKET_CLOSED":
    case "CONNECT_ERROR":
      return "upstream_unavailable";
    default:
      return "mtapi_unreachable";
  }
}
/** Stored credentials' state as the API shows it (`credentials.status`). */
export const CREDENTIAL_STATUSES = ["ok", "rejected", "none"] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];
/** Which MetaTrader password the stored credentials hold. */
export const CREDENTIAL_KINDS = ["investor", "master"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
/** The monitoring states (the risk engine's vocabulary) as the column's values. */
export const MONITORING_STATES = ["polling", "live"] as const satisfies readonly MonitoringState[];
/** Where a reading came from (the risk engine's vocabulary) as values. */
export const READING_SOURCES = ["poll", "event"] as const satisfies readonly ReadingSource[];
