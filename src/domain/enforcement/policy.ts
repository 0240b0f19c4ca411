/**
 * Who decides whether a hard breach is acted on (docs/enforcement.md, "Policy"): the rule's
 * consequence (`record`, `close_all`, `close_all_and_lock`), the deployment's ceiling
 * (`ENFORCEMENT`), the account's own setting and the operator's halt. The lowest applies;
 * anything unknown or missing means `off` / `record`, so a typo never turns enforcement on.
 */
import { type Consequence, type Consequences } from "../../risk/consequences.ts";

export {
  CONSEQUENCES,
  ConsequencesSchema,
  type Consequence,
  type Consequences,
} from "../../risk/consequences.ts";

/** Enforcement modes, lowest first: the order is what "the lower applies" compares. */
export const ENFORCEMENT_MODES = ["off", "dry_run", "on"] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

/** The consequence of a hard breach of `rule`: its own entry, else `default`, else `record`. */
export function consequenceOf(
  consequences: Consequences | null | undefined,
  rule: string,
): Consequence {
  if (!consequences) return "record";
  return consequences[rule] ?? consequences.default ?? "record";
}

/** A deployment or account setting read liberally: anything but a known mode is `off`. */
export function parseMode(value: unknown): EnforcementMode {
  return typeof value === "string" && (ENFORCEMENT_MODES as readonly string[]).includes(value)
    ? (value as EnforcementMode)
    : "off";
}

const rank = (m: EnforcementMode): number => ENFORCEMENT_MODES.indexOf(m);

/** The lower of two modes. */
export function lowerMode(a: EnforcementMode, b: EnforcementMode): EnforcementMode {
  return rank(a) <= rank(b) ? a : b;
}

export interface PolicyInput {
  /** The deployment's `ENFORCEMENT` var, as configured (unparsed). */
  deployment: unknown;
  /** The account's `enforcement` column. */
  account: unknown;
  /** True while an operator's halt holds (the deployment held at `dry_run`). */
  halted: boolean;
}

/** The mode that applies: the lowest of deployment, account and (when halted) `dry_run`. */
export function effectiveMode(input: PolicyInput): EnforcementMode {
  const mode = lowerMode(parseMode(input.deployment), parseMode(input.account));
  return input.halted ? lowerMode(mode, "dry_run") : mode;
}

export type ActionDecision =
  | { act: false; why: "record" | "off" }
  | { act: true; dryRun: boolean; lock: boolean; consequence: Exclude<Consequence, "record"> };

/**
 * Whether a hard breach of `rule` starts an action, and how: nothing when the consequence is
 * `record` or the mode is `off`; a dry run (decided and recorded, nothing sent) in `dry_run`.
 */
export function decideAction(
  consequences: Consequences | null | undefined,
  rule: string,
  policy: PolicyInput,
): ActionDecision {
  const c = consequenceOf(consequences, rule);
  if (c === "record") return { act: false, why: "record" };
  const mode = effectiveMode(policy);
  if (mode === "off") return { act: false, why: "off" };
  return {
    act: true,
    dryRun: mode === "dry_run",
    lock: c === "close_all_and_lock",
    consequence: c,
  };
}

/**
 * When a `close_all_and_lock` lock ends (docs/enforcement.md, "Lock"): a `daily_loss` lock at
 * the next trading-day boundary (ms, from the risk engine's day); any other only by an
 * operator's reset (null: no end of its own).
 */
export function lockEnds(rule: string, nextDayStartMs: number | null): number | null {
  return rule === "daily_loss" ? nextDayStartMs : null;
}
