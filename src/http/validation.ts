/**
 * Input validation at the edge: the zod-openapi `defaultHook`, and the account rules' second
 * step through the risk engine.
 *
 * Status codes: a request that does not match its schema (wrong types, missing fields,
 * unknown fields, `rules` not an object) is `400`. A request whose only problems are inside
 * `rules` is well-formed but names rules that cannot be (unknown preset, bad time zone,
 * `live_exit_pct >= live_enter_pct`, ...): `422`, with the risk engine's issues as details.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { resolveRules, type PresetName, type RuleParams } from "../risk/index.ts";
import { badRequest, unprocessable, type FieldIssue } from "./errors.ts";

/** Zod issues as `{ path, message }` with dotted paths. */
export function fieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The rules resolved to the full parameter set, or a 422 with the engine's issues. */
export function resolveRulesOrThrow(input: unknown): {
  rules: RuleParams;
  preset: PresetName | null;
} {
  const resolved = resolveRules(input);
  if (!resolved.ok) {
    const details = resolved.issues.map((i) => ({
      path: i.path ? `rules.${i.path}` : "rules",
      message: i.message,
    }));
    throw unprocessable("invalid rules", details);
  }
  return { rules: resolved.rules, preset: resolved.preset };
}

const TARGET_NAMES: Record<string, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
};

/**
 * The zod-openapi default hook: turns a failed validation into the API's error (thrown, so
 * `app.onError` renders it). Body issues confined to `rules` (an object) become the risk
 * engine's 422; everything else is a 400.
 */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
  _c: Context,
): undefined {
  if (result.success) return undefined;
  const issues = result.error.issues;
  // @hono/zod-validator passes the input it validated as `data`, on failure too.
  const body = "data" in result ? result.data : undefined;
  if (
    result.target === "json" &&
    isRecord(body) &&
    isRecord(body.rules) &&
    issues.every((i) => i.path[0] === "rules")
  ) {
    resolveRulesOrThrow(body.rules);
  }
  const where = TARGET_NAMES[result.target] ?? result.target;
  throw badRequest(`invalid ${where}`, fieldIssues(issues));
}
