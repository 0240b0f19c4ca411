/**
 * The rows and alerts of newly found trade-rule violations (docs/trades.md, "Severity"), built
 * without a database: each violation with its severity, ticket and evidence (the trade, the
 * rule's figures and the account's latest reading), and `violation.recorded` with the trade.
 */
import type { RuleParams } from "../../risk/index.ts";
import type { TradeViolation } from "../../risk/trade-rules/index.ts";
import { accountRef, type AlertInput } from "../alert-events.ts";
import { buildEvidence } from "../breach-evidence.ts";
import type { TradeJson, ViolationEvidence } from "../evidence.ts";
import type { AccountMetrics } from "../metrics.ts";

/** A trade-rule violation row to insert. */
export interface TradeViolationRow {
  accountId: number;
  rule: string;
  period: string;
  severity: "hard" | "soft";
  ticket: number | null;
  /** The account's latest equity (account currency), 0 before any reading. */
  equity: number;
  /** Trade rules have no floor: 0. */
  floor: number;
  /** Trade rules have no allowance: 0. */
  usage: number;
  source: string;
  detectedAt: Date;
  rulesVersion: number | null;
  evidence: ViolationEvidence;
  resetEpoch: number;
}

/** What the rows need of the account. */
export interface JudgedAccount {
  id: number;
  login: string;
  server: string;
  label: string | null;
  rules: RuleParams;
  rulesVersion: number;
  metrics: AccountMetrics | null;
  /** The account's reset epoch: trade violations are recorded in the current one. */
  resetEpoch: number;
}

const NO_METRICS: AccountMetrics = {
  balance: 0,
  equity: 0,
  day_start: 0,
  hwm: 0,
  daily_floor: 0,
  max_floor: 0,
  usage: { daily: 0, max: 0, overall: 0 },
  trading_day: "",
  updated_at: new Date(0).toISOString(),
  source: "poll",
};

/**
 * One row per violation. `tradeOf` finds the trade behind a ticket (null for account-wide
 * rules); `source` is `poll` or `event`; `nowMs` stamps the evidence.
 */
export function tradeViolationRows(
  account: JudgedAccount,
  found: readonly TradeViolation[],
  tradeOf: (v: TradeViolation) => TradeJson | null,
  source: string,
  nowMs: number,
): TradeViolationRow[] {
  return found.map((v) => ({
    accountId: account.id,
    rule: v.rule,
    period: v.period,
    severity: v.severity,
    ticket: v.ticket,
    equity: account.metrics?.equity ?? 0,
    floor: 0,
    usage: 0,
    source,
    detectedAt: new Date(v.detectedAtMs),
    rulesVersion: account.rulesVersion,
    resetEpoch: account.resetEpoch,
    evidence: buildEvidence({
      rules: account.rules,
      rulesVersion: account.rulesVersion,
      metrics: account.metrics ?? NO_METRICS,
      readingsBefore: [],
      cause: {
        kind: "trade",
        trade: tradeOf(v),
        detail: { ...v.detail, escalated: v.escalated },
        received_at: new Date(nowMs).toISOString(),
      },
    }),
  }));
}

/** `violation.recorded` per row that landed (`recorded`: the rows' keys with their new ids). */
export function tradeViolationAlerts(
  account: JudgedAccount,
  rows: readonly TradeViolationRow[],
  recorded: ReadonlyArray<{ id: number; rule: string; period: string }>,
): AlertInput[] {
  const out: AlertInput[] = [];
  for (const r of recorded) {
    const row = rows.find((x) => x.rule === r.rule && x.period === r.period);
    if (row === undefined) continue;
    const cause = row.evidence.cause;
    out.push({
      type: "violation.recorded",
      data: {
        account: accountRef(account),
        violation: {
          id: Number(r.id),
          rule: row.rule,
          period: row.period,
          equity: row.equity,
          floor: row.floor,
          usage: row.usage,
          source: row.source,
          detected_at: row.detectedAt.toISOString(),
          severity: row.severity,
          ticket: row.ticket,
          reset_epoch: row.resetEpoch,
          trade: cause?.kind === "trade" ? cause.trade : null,
        },
      },
    });
  }
  return out;
}
