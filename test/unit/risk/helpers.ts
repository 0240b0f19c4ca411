/** Small helpers shared by the risk engine tests. */
import {
  resolveRules,
  type AppliedEvaluation,
  type Evaluation,
  type RuleParams,
} from "../../../src/risk/index.ts";

/** Resolved rules, or a thrown error with the issues. */
export function rules(input: unknown): RuleParams {
  const resolved = resolveRules(input);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  return resolved.rules;
}

/** The evaluation, asserted applied. */
export function applied(evaluation: Evaluation): AppliedEvaluation {
  if (!evaluation.applied) throw new Error(`reading not applied: ${evaluation.reason}`);
  return evaluation;
}
