/**
 * The words every layer shares: an account's status, its problems, its monitoring states and
 * where a reading came from. The database columns take their values from here (src/db/schema.ts).
 */
import type { MonitoringState, ReadingSource } from "../risk/index.ts";

/** An account's status: watched, breached (until an operator resets it), or switched off. */
export const ACCOUNT_STATUSES = ["active", "breached", "disabled"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
/**
 * Why an account is not judged normally (`problem`; null when it is): MTAPI's answers
 * (`session_expired`, `mtapi_unreachable`), or rules the engine cannot evaluate
 * (`invalid_rules`: one bad account never stops the others).
 */
export const ACCOUNT_PROBLEMS = ["session_expired", "mtapi_unreachable", "invalid_rules"] as const;
export type AccountProblem = (typeof ACCOUNT_PROBLEMS)[number];
/** The monitoring states (the risk engine's vocabulary) as the column's values. */
export const MONITORING_STATES = ["polling", "live"] as const satisfies readonly MonitoringState[];
/** Where a reading came from (the risk engine's vocabulary) as values. */
export const READING_SOURCES = ["poll", "event"] as const satisfies readonly ReadingSource[];
