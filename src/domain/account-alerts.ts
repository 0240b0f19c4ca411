/**
 * Which alerts a batch of account writes produces (pure): `violation.recorded` once per
 * newly recorded violation, `account.live_entered`/`account.live_exited` per applied
 * monitoring move, `account.problem` when a problem appears or clears, `account.warning` per
 * warning level newly reached, `account.objectives_met` when every objective is first met. The writers
 * (src/accounts/) record them in the same transaction as the change.
 */
import type { AccountChange } from "./outcome.ts";
import { accountRef, type AlertInput } from "./alert-events.ts";

/** An account row as an `update ... returning` gives it, with the problem it had before. */
export type ChangedAccount = {
  id: number;
  login: string;
  server: string;
  label: string | null;
  prev_problem: string | null;
};

/** A violation just inserted (its id) and what was inserted. */
export interface RecordedViolation {
  id: number;
  accountId: number;
  rule: string;
  period: string;
  /** The account's reset epoch the breach happened in (0 before any reset). */
  resetEpoch?: number;
  /** `soft` leaves the account active (docs/rules.md, "Severity of the loss rules"). */
  severity?: "hard" | "soft";
}

export interface InsertedViolation {
  accountId: number;
  rule: string;
  period: string;
  equity: number;
  floor: number;
  usage: number;
  source: string;
  detectedAt: Date;
  /** The account's reset epoch the breach happened in (0 before any reset). */
  resetEpoch?: number;
  /** `hard` (the default) fails the account; `soft` is recorded only. */
  severity?: "hard" | "soft";
}

/** `account.problem` for an account whose problem went from `prev_problem` to `problem`. */
export function problemAlerts(row: ChangedAccount, problem: string | null): AlertInput[] {
  if (problem === row.prev_problem) return [];
  if (problem !== null)
    return [
      {
        type: "account.problem",
        data: { account: accountRef(row), problem, detail: { change: "appeared", problem } },
      },
    ];
  return [
    {
      type: "account.problem",
      data: {
        account: accountRef(row),
        problem: null,
        detail: { change: "cleared", problem: row.prev_problem! },
      },
    },
  ];
}

/** The alerts of one committed batch; `applied` are the changes whose update landed. */
export function accountEventAlerts(
  applied: readonly AccountChange[],
  recorded: readonly RecordedViolation[],
  inserted: readonly InsertedViolation[],
  refs: ReadonlyMap<number, ChangedAccount>,
): AlertInput[] {
  const out: AlertInput[] = [];
  for (const v of recorded) {
    const ref = refs.get(v.accountId);
    const row = inserted.find(
      (i) =>
        i.accountId === v.accountId &&
        i.rule === v.rule &&
        i.period === v.period &&
        (i.resetEpoch ?? 0) === (v.resetEpoch ?? 0),
    );
    if (!ref || !row) continue;
    out.push({
      type: "violation.recorded",
      data: {
        account: accountRef(ref),
        violation: {
          id: Number(v.id),
          rule: v.rule,
          period: v.period,
          equity: row.equity,
          floor: row.floor,
          usage: row.usage,
          source: row.source,
          detected_at: row.detectedAt.toISOString(),
          reset_epoch: row.resetEpoch ?? 0,
          // A soft loss violation says so; hard ones read as before.
          ...(row.severity === "soft" ? { severity: "soft" as const } : {}),
        },
      },
    });
  }
  for (const c of applied) {
    const ref = refs.get(c.accountId);
    if (!ref) continue;
    if (c.monitoringState) {
      const why = c.audit.find((a) => a.field === "monitoring_state")?.reason ?? "";
      out.push({
        type: c.monitoringState === "live" ? "account.live_entered" : "account.live_exited",
        data: { account: accountRef(ref), usage: c.metrics.usage, reason: why },
      });
    }
    // The engine reports each warning level once per (rule, period, level) and the objectives'
    // moment once; they reach the alerts only with the change that landed.
    for (const w of c.warnings ?? []) {
      out.push({
        type: "account.warning",
        data: {
          account: accountRef(ref),
          rule: w.rule,
          period: w.period,
          level: w.level,
          usage: w.usage,
          equity: c.metrics.equity,
          floor: w.rule === "daily_loss" ? c.metrics.daily_floor : c.metrics.max_floor,
        },
      });
    }
    if (c.objectivesMetAt !== undefined) {
      out.push({
        type: "account.objectives_met",
        data: { account: accountRef(ref), objectives: c.metrics.objectives ?? null },
      });
    }
    // An applied reading clears the account's problem (write-changes.ts).
    out.push(...problemAlerts(ref, null));
  }
  return out;
}
