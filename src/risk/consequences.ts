/**
 * `rules.consequences`: what a hard breach does, per rule or for all (docs/enforcement.md,
 * "Policy"). Part of the rules so that it is versioned with them; the decision whether to act
 * (deployment ceiling, account setting, halt) lives in src/domain/enforcement/policy.ts.
 */
import { z } from "zod";

export const CONSEQUENCES = ["record", "close_all", "close_all_and_lock"] as const;
export type Consequence = (typeof CONSEQUENCES)[number];

/**
 * `{default?, <rule>?: consequence}`; keys are rule names (`daily_loss`, `max_loss`, or a trade
 * rule's name). Strict values, free keys: a rule added later needs no schema change, a
 * misspelt consequence is refused with the known ones named.
 */
export const ConsequencesSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "a rule name"), z.enum(CONSEQUENCES))
  .describe(
    'What a hard breach does, per rule or "default": record (the default), close_all or close_all_and_lock.',
  );
export type Consequences = z.output<typeof ConsequencesSchema>;
