/**
 * The enforcement action as a pure state machine (docs/enforcement.md, "Exactly once"):
 * `next(state, ctx)` says what to do now and `answer(state, command, result, now)` takes what
 * came back. The shell persists the state `next` returns BEFORE carrying out its command, so a
 * step is recorded as `sending` before its `OrderCloseSafe` leaves; a step found still
 * `sending` later (its answer lost to an eviction or a crash) is an unknown outcome, settled by
 * reading `OpenedOrders`, never by sending again blindly.
 *
 * A ticket is sent again only after proof that the earlier send did not close it: a refusal
 * that executes nothing (`MARKET_CLOSED`, `INVALID_TOKEN`), or an `OpenedOrders` read taken
 * after the unknown answer that still lists it. `INVALID_TICKET` means closed already: done.
 * A send that may still be executing (no answer came back: the client's own timeout, a dropped
 * connection, an answer lost to an eviction) is not proven by a read until `LIMITS.inFlightMs`
 * after it left: until then a listed ticket may be one the close has not reached yet.
 */

/** An open position or pending order as the action needs it (parsed from `OpenedOrders`). */
export interface OpenOrder {
  ticket: number;
  symbol: string;
  orderType: string;
  lots: number;
  openPrice: number;
  /** Account currency, floating (positions). */
  profit: number;
}

export type StepAction = "close" | "cancel";
/**
 * - `planned`: decided, not sent; `decided`: a dry run's decision (never sent);
 * - `sending`: recorded as about to be sent (outcome unknown until answered);
 * - `unknown`: sent, outcome unknown (timeout, lost answer): settle by `OpenedOrders`;
 * - `retry`: proven not executed; may be sent again from `not_before`;
 * - `done`, `failed`, `halted` (an operator's halt stopped it before it was sent).
 */
export type StepState =
  "planned" | "decided" | "sending" | "unknown" | "retry" | "done" | "failed" | "halted";

export interface Step {
  ticket: number;
  action: StepAction;
  symbol: string;
  state: StepState;
  /** `OrderCloseSafe` calls handed to the host for this ticket. */
  sends: number;
  /** Sends refused by a closed market (they do not count toward the attempt limit). */
  market_closed: number;
  close_price: number | null;
  close_time: string | null;
  /** Account currency, realised by the close (null when settled by a read). */
  profit: number | null;
  /** How the outcome was learnt: the close's answer, a later `OpenedOrders`, `INVALID_TICKET`. */
  settled_by: "answer" | "opened_orders" | "already_closed" | null;
  error: string | null;
  /** ms, the last change. */
  at: number;
  /** ms, not to be sent before (market closed); for an `unknown` step, not to be read before. */
  not_before: number;
  /** ms, when the last send left (absent in states persisted before it was kept). */
  sent_at?: number;
  /**
   * ms: the last send may still be executing at the bridge until then (no answer came back),
   * so a read before it that lists the ticket proves nothing. 0 or absent: the bridge answered.
   */
  in_flight_until?: number;
}

export type ActionKind = "close_all" | "lock_guard";
export type ActionPhase = "session" | "plan" | "run" | "after" | "done" | "failed";

export interface ActionState {
  kind: ActionKind;
  dry_run: boolean;
  phase: ActionPhase;
  steps: Step[];
  positions_before: OpenOrder[] | null;
  equity_before: number | null;
  equity_after: number | null;
  failure: string | null;
  /** Consecutive failed reads (summary or `OpenedOrders`). */
  read_failures: number;
  renew_failures: number;
  needs_renew: boolean;
  /** ms: no read before (backoff after a failed read). */
  not_before: number;
  started_at: number;
  finished_at: number | null;
}

/**
 * The shell's answer to any call of an action whose account is deleted (its session wiped,
 * docs/enforcement.md, "Deleted accounts"): nothing was sent, and no retry or renewal helps.
 */
export const ACCOUNT_DELETED = "ACCOUNT_DELETED";

/** Codes that prove the close was not executed. */
const NOT_EXECUTED = new Set(["MARKET_CLOSED", "INVALID_TOKEN"]);
/** Codes that refuse the request for good (no retry helps). */
const REFUSED = new Set([
  "NULL_ARGUMENT",
  "INVALID_ACCOUNT",
  "TRADE_DISABLED",
  "INVESTOR_SESSION",
  "ACCOUNT_DELETED",
]);

export const LIMITS = {
  /** Consecutive failed reads before the action fails. */
  readFailures: 8,
  /**
   * Failed renewals before the action fails: with the read backoff (250 ms doubling) about
   * 30 s, so a session refused for a few seconds (credentials being fixed, a bridge restart)
   * does not fail the action for good.
   */
  renewFailures: 8,
  /** Sends per ticket (market-closed refusals not counted) before its step fails. */
  sendsPerTicket: 3,
  /** ms, first wait after a failed read; doubles, capped. */
  readBackoffMs: 250,
  readBackoffCapMs: 30_000,
  /** ms, wait after `MARKET_CLOSED`; doubles per refusal, capped. */
  marketWaitMs: 60_000,
  marketWaitCapMs: 15 * 60_000,
  /**
   * ms a send without an answer (the client gave up after its 10 s, the connection dropped, the
   * answer was lost to an eviction) may still be executing at the bridge: a ticket still listed
   * by a read before then is read again then, not sent again.
   */
  inFlightMs: 30_000,
} as const;

export type Command =
  | { type: "read_summary"; purpose: "before" | "after" }
  | { type: "read_opened"; purpose: "plan" | "settle" }
  | { type: "send"; ticket: number; action: StepAction }
  | { type: "renew" }
  | { type: "wait"; until: number }
  | { type: "finished"; state: "done" | "failed" };

/**
 * `inFlight`: no answer came back (the client's timeout, a dropped connection): the request may
 * still be executing at the bridge. A bridge's own error answer (its `TIMEOUT` included) is not.
 */
export type Failure = { ok: false; code: string; message?: string; inFlight?: boolean };
export type SummaryAnswer = { ok: true; equity: number; isInvestor: boolean | null } | Failure;
export type OpenedAnswer = { ok: true; orders: OpenOrder[] } | Failure;
export type SendAnswer =
  { ok: true; closePrice: number; closeTime: string; profit: number; state: string } | Failure;
export type RenewAnswer = { ok: true } | Failure;
export type Answer = SummaryAnswer | OpenedAnswer | SendAnswer | RenewAnswer;

const PENDING_TYPES = /^(buy|sell)(limit|stop|stoplimit)$/i;

/** Positions are closed, pending orders cancelled (docs/enforcement.md, "Policy"). */
export function actionFor(order: OpenOrder): StepAction {
  return PENDING_TYPES.test(order.orderType.replace(/[\s_]/g, "")) ? "cancel" : "close";
}

export function newAction(kind: ActionKind, dryRun: boolean, now: number): ActionState {
  return {
    kind,
    dry_run: dryRun,
    phase: "session",
    steps: [],
    positions_before: null,
    equity_before: null,
    equity_after: null,
    failure: null,
    read_failures: 0,
    renew_failures: 0,
    needs_renew: false,
    not_before: 0,
    started_at: now,
    finished_at: null,
  };
}

export interface Ctx {
  now: number;
  /** An operator's halt: nothing not yet sent is sent. */
  halted: boolean;
  /**
   * Why it is halted (the action's failure and each stopped step say it): "halted by an
   * operator" when absent; "account deleted" when the account was archived meanwhile.
   */
  haltReason?: string;
}

const OPEN_STATES: ReadonlySet<StepState> = new Set(["planned", "sending", "unknown", "retry"]);

/** True once the action will issue no more commands. */
export function isFinished(s: ActionState): boolean {
  return s.phase === "done" || s.phase === "failed";
}

function fail(s: ActionState, reason: string, now: number): ActionState {
  const steps = s.steps.map((st) =>
    st.state === "planned" || st.state === "retry"
      ? { ...st, state: "failed" as const, error: st.error ?? `not sent: ${reason}`, at: now }
      : st,
  );
  return { ...s, steps, phase: "failed", failure: s.failure ?? reason, finished_at: now };
}

/**
 * The account was deleted and its session wiped: nothing can be read or sent any more. A step
 * whose send left without an answer stays `unknown` (it can no longer be settled by reading),
 * and says so; it is never sent again.
 */
function failDeleted(s: ActionState, now: number): ActionState {
  const failed = fail(s, "account deleted", now);
  const steps = failed.steps.map((st) =>
    st.state === "unknown" || st.state === "sending"
      ? {
          ...st,
          state: "unknown" as const,
          error: "not settled: account deleted (its session wiped)",
          at: now,
        }
      : st,
  );
  return { ...failed, steps };
}

function finish(s: ActionState, now: number): ActionState {
  const bad = s.steps.find((st) => st.state === "failed" || st.state === "halted");
  if (s.failure !== null || bad !== undefined) {
    const reason =
      s.failure ?? `ticket ${bad!.ticket} ${bad!.state}${bad!.error ? `: ${bad!.error}` : ""}`;
    return { ...s, phase: "failed", failure: reason, finished_at: now };
  }
  return { ...s, phase: "done", finished_at: now };
}

function setStep(s: ActionState, i: number, patch: Partial<Step>): ActionState {
  const steps = s.steps.slice();
  steps[i] = { ...steps[i]!, ...patch };
  return { ...s, steps };
}

/**
 * What to do next, and the state to persist before doing it. A `send` command comes with its
 * step already marked `sending` and counted: persist, then send.
 */
export function next(state: ActionState, ctx: Ctx): { state: ActionState; command: Command } {
  let s = state;
  const { now } = ctx;
  if (isFinished(s))
    return { state: s, command: { type: "finished", state: s.phase as "done" | "failed" } };
  // A step still `sending` lost its answer: its outcome is unknown.
  if (s.steps.some((st) => st.state === "sending")) {
    s = {
      ...s,
      steps: s.steps.map((st) =>
        st.state === "sending"
          ? {
              ...st,
              state: "unknown" as const,
              not_before: 0,
              in_flight_until: (st.sent_at ?? st.at) + LIMITS.inFlightMs,
              at: now,
            }
          : st,
      ),
    };
  }
  if (ctx.halted) {
    const reason = ctx.haltReason ?? "halted by an operator";
    const stopped = s.steps.map((st) =>
      st.state === "planned" || st.state === "retry"
        ? { ...st, state: "halted" as const, error: `${reason} before it was sent`, at: now }
        : st,
    );
    const stoppedAny = stopped.some((st, i) => st !== s.steps[i]);
    s = { ...s, steps: stopped, failure: s.failure ?? (stoppedAny ? reason : null) };
    // Before the plan nothing was sent: nothing to settle (a dry run sends nothing anyway).
    if ((s.phase === "session" || s.phase === "plan") && !s.dry_run) {
      return done(fail(s, reason, now));
    }
  }
  // A backoff first: a failed renewal waits before the next try.
  if (s.not_before > now) return { state: s, command: { type: "wait", until: s.not_before } };
  if (s.needs_renew) return { state: s, command: { type: "renew" } };
  switch (s.phase) {
    case "session":
      return { state: s, command: { type: "read_summary", purpose: "before" } };
    case "plan":
      return { state: s, command: { type: "read_opened", purpose: "plan" } };
    case "after":
      return { state: s, command: { type: "read_summary", purpose: "after" } };
    case "run": {
      if (s.steps.some((st) => st.state === "unknown" && st.not_before <= now)) {
        return { state: s, command: { type: "read_opened", purpose: "settle" } };
      }
      const i = s.steps.findIndex(
        (st) => (st.state === "planned" || st.state === "retry") && st.not_before <= now,
      );
      if (i >= 0) {
        const st = s.steps[i]!;
        s = setStep(s, i, { state: "sending", sends: st.sends + 1, sent_at: now, at: now });
        return { state: s, command: { type: "send", ticket: st.ticket, action: st.action } };
      }
      // Closes that may still be executing are read again once they cannot be any more.
      const waiting = s.steps.filter(
        (st) => st.state === "planned" || st.state === "retry" || st.state === "unknown",
      );
      if (waiting.length > 0) {
        return {
          state: s,
          command: { type: "wait", until: Math.min(...waiting.map((st) => st.not_before)) },
        };
      }
      return next({ ...s, phase: "after" }, ctx);
    }
    default:
      return done(s);
  }
}

function done(s: ActionState): { state: ActionState; command: Command } {
  return { state: s, command: { type: "finished", state: s.phase === "done" ? "done" : "failed" } };
}

function readFailed(s: ActionState, a: Failure, now: number, what: string): ActionState {
  if (a.code === "INVALID_TOKEN") return { ...s, needs_renew: true };
  if (a.code === ACCOUNT_DELETED) return failDeleted(s, now);
  const failures = s.read_failures + 1;
  if (failures >= LIMITS.readFailures) {
    return fail(s, `${what} unreadable after ${failures} tries (${a.code})`, now);
  }
  const wait = Math.min(LIMITS.readBackoffCapMs, LIMITS.readBackoffMs * 2 ** (failures - 1));
  return { ...s, read_failures: failures, not_before: now + wait };
}

/** Takes the host's answer to `command` (the command `next` returned with this state). */
export function answer(
  state: ActionState,
  command: Command,
  result: Answer,
  now: number,
): ActionState {
  const s = state;
  if (isFinished(s)) return s;
  switch (command.type) {
    case "renew":
      if (result.ok) return { ...s, needs_renew: false, renew_failures: 0 };
      if (result.code === ACCOUNT_DELETED) return failDeleted(s, now);
      if (s.renew_failures + 1 >= LIMITS.renewFailures) {
        return fail(s, `session could not be renewed (${(result as Failure).code})`, now);
      }
      return {
        ...s,
        renew_failures: s.renew_failures + 1,
        not_before:
          now + Math.min(LIMITS.readBackoffCapMs, LIMITS.readBackoffMs * 2 ** s.renew_failures),
      };
    case "read_summary": {
      const r = result as SummaryAnswer;
      if (!r.ok) {
        if (command.purpose === "after" && r.code !== "INVALID_TOKEN" && s.read_failures + 1 >= 3) {
          // The closes are settled; an unreadable equity afterwards does not undo them.
          return finish({ ...s, read_failures: 0 }, now);
        }
        return readFailed(s, r, now, "AccountSummary");
      }
      if (command.purpose === "after")
        return finish({ ...s, equity_after: r.equity, read_failures: 0 }, now);
      const base = { ...s, equity_before: r.equity, read_failures: 0 };
      if (r.isInvestor !== false) {
        return fail(
          base,
          r.isInvestor === true
            ? "investor session: closing positions needs the master (trading) password"
            : "session kind unknown (AccountSummary has no isInvestor): not acting",
          now,
        );
      }
      return { ...base, phase: "plan" };
    }
    case "read_opened": {
      const r = result as OpenedAnswer;
      if (!r.ok) return readFailed(s, r, now, "OpenedOrders");
      const base = { ...s, read_failures: 0 };
      if (command.purpose === "plan") {
        const steps: Step[] = r.orders.map((o) => ({
          ticket: o.ticket,
          action: actionFor(o),
          symbol: o.symbol,
          state: s.dry_run ? "decided" : "planned",
          sends: 0,
          market_closed: 0,
          close_price: null,
          close_time: null,
          profit: null,
          settled_by: null,
          error: null,
          at: now,
          not_before: 0,
        }));
        return { ...base, positions_before: r.orders, steps, phase: s.dry_run ? "after" : "run" };
      }
      const open = new Set(r.orders.map((o) => o.ticket));
      const steps = base.steps.map((st): Step => {
        if (st.state !== "unknown") return st;
        if (!open.has(st.ticket))
          return { ...st, state: "done", settled_by: "opened_orders", at: now };
        // Listed, but the send may still be executing: proof only from a read after it cannot.
        const inFlightUntil = st.in_flight_until ?? 0;
        if (inFlightUntil > now) return { ...st, not_before: inFlightUntil, at: now };
        // Proven still open: the earlier send closed nothing; one more send is not blind.
        if (st.sends - st.market_closed >= LIMITS.sendsPerTicket) {
          return { ...st, state: "failed", error: `still open after ${st.sends} sends`, at: now };
        }
        return { ...st, state: "retry", not_before: now, at: now };
      });
      return { ...base, steps };
    }
    case "send": {
      const i = s.steps.findIndex((st) => st.ticket === command.ticket && st.state === "sending");
      if (i < 0) return s;
      const st = s.steps[i]!;
      const r = result as SendAnswer;
      if (r.ok) {
        return setStep(s, i, {
          state: "done",
          settled_by: "answer",
          close_price: r.closePrice,
          close_time: r.closeTime,
          profit: r.profit,
          error: null,
          at: now,
        });
      }
      if (r.code === "INVALID_TICKET") {
        return setStep(s, i, { state: "done", settled_by: "already_closed", error: null, at: now });
      }
      if (r.code === "MARKET_CLOSED") {
        const wait = Math.min(LIMITS.marketWaitCapMs, LIMITS.marketWaitMs * 2 ** st.market_closed);
        return setStep(s, i, {
          state: "retry",
          market_closed: st.market_closed + 1,
          error: "MARKET_CLOSED",
          not_before: now + wait,
          at: now,
        });
      }
      if (NOT_EXECUTED.has(r.code)) {
        // INVALID_TOKEN: nothing was executed; renew, then this step goes again.
        if (st.sends - st.market_closed >= LIMITS.sendsPerTicket) {
          return setStep(s, i, { state: "failed", error: r.code, at: now });
        }
        return {
          ...setStep(s, i, { state: "retry", error: r.code, not_before: now, at: now }),
          needs_renew: true,
        };
      }
      if (REFUSED.has(r.code)) return setStep(s, i, { state: "failed", error: r.code, at: now });
      // TIMEOUT, a lost connection, anything else: the close may or may not have happened.
      return setStep(s, i, {
        state: "unknown",
        error: r.code,
        not_before: 0,
        in_flight_until: r.inFlight ? (st.sent_at ?? st.at) + LIMITS.inFlightMs : 0,
        at: now,
      });
    }
    default:
      return s;
  }
}

/** Steps not yet settled (for status pages). */
export function openSteps(s: ActionState): Step[] {
  return s.steps.filter((st) => OPEN_STATES.has(st.state));
}
