/**
 * An action's evidence as the API and the webhooks show it (docs/enforcement.md, "Evidence"):
 * positions before, each step with its close price, time and profit, equity before and after,
 * and how far past the floor the account closed (slippage).
 */
import type { ActionState, OpenOrder } from "./action.ts";

export interface StepView {
  ticket: number;
  action: "close" | "cancel";
  symbol: string;
  state: string;
  close_price: number | null;
  close_time: string | null;
  profit: number | null;
  settled_by: string | null;
  sends: number;
  error: string | null;
  at: string;
}

export interface ActionEvidence {
  kind: ActionState["kind"];
  dry_run: boolean;
  /** The API's state: pending (planned, nothing sent), running, done, failed. */
  state: "pending" | "running" | "done" | "failed";
  positions_before: OpenOrder[];
  equity_before: number | null;
  equity_after: number | null;
  /** Account currency: how far below the floor equity ended (0 when at or above it). */
  slippage: number | null;
  failure: string | null;
  started_at: string;
  finished_at: string | null;
  steps: StepView[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The API's state of an action. */
export function apiState(s: ActionState): ActionEvidence["state"] {
  if (s.phase === "done") return "done";
  if (s.phase === "failed") return "failed";
  return s.steps.some((st) => st.sends > 0) || s.phase === "after" ? "running" : "pending";
}

/**
 * How far past `floor` equity ended, in account currency (never negative; null without an
 * equity after or a floor).
 */
export function slippage(equityAfter: number | null, floor: number | null): number | null {
  if (equityAfter === null || floor === null) return null;
  return Math.max(0, Math.round((floor - equityAfter) * 100) / 100);
}

export function actionEvidence(s: ActionState, floor: number | null): ActionEvidence {
  return {
    kind: s.kind,
    dry_run: s.dry_run,
    state: apiState(s),
    positions_before: s.positions_before ?? [],
    equity_before: s.equity_before,
    equity_after: s.equity_after,
    slippage: slippage(s.equity_after, floor),
    failure: s.failure,
    started_at: iso(s.started_at),
    finished_at: s.finished_at === null ? null : iso(s.finished_at),
    steps: s.steps.map((st) => ({
      ticket: st.ticket,
      action: st.action,
      symbol: st.symbol,
      state: st.state,
      close_price: st.close_price,
      close_time: st.close_time,
      profit: st.profit,
      settled_by: st.settled_by,
      sends: st.sends,
      error: st.error,
      at: iso(st.at),
    })),
  };
}
