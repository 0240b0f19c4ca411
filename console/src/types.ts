/**
 * The API shapes the console reads, named from the types generated off the app's own
 * /openapi.json (api-schema.ts, `npm run api-types`): nothing here restates a field, so a
 * change to a route's schema reaches the console's type check.
 */
import type { components } from "./api-schema.ts";

type Schemas = components["schemas"];

/** Who is signed in (`GET /v1/session`). */
export type Session = Schemas["Session"];
export type Role = Session["role"];

export type Account = Schemas["Account"];
/** An account's figures, once it has been read. */
export type Metrics = NonNullable<Schemas["Metrics"]>;
export type Rules = Schemas["RuleParams"];
export type Violation = Schemas["Violation"];
export type Severity = Violation["severity"];
/** Stored credentials as answers show them (never the password). */
export type Credentials = Schemas["AccountCredentials"];
/** `POST /v1/accounts`. */
export type CreateAccount = Schemas["CreateAccount"];
/** One trade of `GET /v1/accounts/{id}/trades`. */
export type Trade = Schemas["Trade"];
/** `GET /v1/accounts/{id}/enforcement`: setting, lock, actions with their steps. */
export type AccountEnforcement = Schemas["AccountEnforcement"];
export type EnforcementAction = Schemas["EnforcementAction"];
export type EnforcementMode = AccountEnforcement["enforcement"];
/** `GET /v1/enforcement`: the deployment's ceiling and the halt switch. */
export type EnforcementState = Schemas["EnforcementState"];
/** A share link as `GET /v1/accounts/{id}/shares` lists it (never its token). */
export type Share = Schemas["Share"];
/** `POST /v1/accounts/{id}/shares`: the link, its token shown this once. */
export type ShareCreated = Schemas["ShareCreated"];
/** A rule preset of `GET /v1/presets`. */
export type Preset = Schemas["PresetList"]["items"][number];
export type ViolationDetail = Schemas["ViolationDetail"];
/** One version of an account's rules (`GET /v1/accounts/{id}/rules`). */
export type RulesVersion = Schemas["RulesVersionList"]["items"][number];
/** One line of the audit trail (`GET /v1/audit`). */
export type AuditEntry = Schemas["AuditEntry"];
export type Adjustment = Schemas["Adjustment"];
/** A balance operation offered as an adjustment (`GET /v1/accounts/{id}/adjustments/proposed`). */
export type AdjustmentProposal = Schemas["AdjustmentProposal"];
/** One point of `GET /v1/accounts/{id}/equity`. */
export type EquityPoint = Schemas["Equity"]["items"][number];

/** An API key as `GET /v1/keys` lists it (never its secret). */
export type ApiKey = Schemas["Key"];
export type Webhook = Schemas["Webhook"];
/** One delivery attempt of a webhook (`GET /v1/webhooks/{id}/deliveries`). */
export type WebhookAttempt = Schemas["WebhookAttempt"];

export type MonitorStatus = Schemas["MonitorStatus"];
type MonitorShard = MonitorStatus["shards"][number];
/**
 * What the Monitor view reads of one shard of the live monitor; a version 1 server, which
 * lists no `shards`, is shown as shard 0 (monitor-rates.ts).
 */
export type Shard = Pick<
  MonitorShard,
  "shard" | "connection" | "subscriptions" | "events" | "pending_writes"
> &
  Partial<Pick<MonitorShard, "oldest_pending_s">>;

/** A page of a list answer (every `...List` schema: `items` and `next_cursor`). */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}
