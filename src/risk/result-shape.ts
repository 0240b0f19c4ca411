/**
 * The one object literal every applied evaluation is built from, and the start-up step that
 * gives the engine's per-reading objects (states and results) tagged number fields.
 *
 * Why: V8 stores a field whose values have only ever been numbers as a "double" field, and a
 * double field holds its own heap box, so every new object copies each such number into a
 * fresh 16-byte box, even when the value is unchanged from the previous state (day boundary
 * times, day start, high-water mark, balance). A field that has once held a non-number is
 * "tagged": it holds a pointer, an unchanged number is shared with the previous state, and a
 * small integer (a usage of 0) needs no box at all. On the benchmark's mix this cuts the
 * memory allocated per evaluation by about a quarter (docs/benchmarks/2026-11-29-risk-engine.md, "Risk engine"). The
 * figures and the JSON are unchanged: only V8's internal layout differs.
 */
import { makeFullState, makeState } from "./state-shape.ts";
import type {
  AppliedEvaluation,
  MonitoringTransition,
  RiskState,
  Violation,
  Warning,
} from "./types.ts";

/** An applied evaluation, always of one shape. */
export function makeApplied(
  state: RiskState,
  daily_floor: number,
  max_floor: number,
  daily: number,
  max: number,
  overall: number,
  violations: Violation[],
  transition: MonitoringTransition | null,
  rolled_over: boolean,
  warnings: Warning[],
  objectives_met_at: number | null,
): AppliedEvaluation {
  return {
    applied: true,
    state,
    daily_floor,
    max_floor,
    usage: { daily, max, overall },
    violations,
    transition,
    rolled_over,
    warnings,
    objectives_met_at,
  };
}

/**
 * Builds one state of each shape and one result with `null` in every number field, once, so
 * that V8 marks those fields tagged for every object built by the same literals afterwards
 * (see the file comment). The objects are thrown away; nothing reads them.
 */
function tagNumberFields(): void {
  const n = null as unknown as number;
  const breached = { daily_loss: null, max_loss: null };
  const args = ["", n, n, n, n, n, n, n, "polling", breached] as const;
  makeState(...args, null);
  const full = makeFullState(...args, n, n, n, n, undefined, undefined);
  makeApplied(full, n, n, n, n, n, [], null, false, [], null);
}

tagNumberFields();
