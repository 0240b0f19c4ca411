/**
 * The rows a batch of account changes writes, built without a database (pure): the guarded
 * update's input, the violations with their evidence, the audit lines, the equity readings.
 * The transaction script that sends them is src/accounts/write-changes.ts; the rules it keeps
 * (compare-and-set, guarded updates, violations as facts) are in docs/architecture.md.
 */
import type { MonitoringState, ReadingSource, RuleParams } from "../risk/index.ts";
import type { ChangedAccount, InsertedViolation, RecordedViolation } from "./account-alerts.ts";
import { auditValues, systemAction, systemActor, type AuditValues } from "./audit.ts";
import { buildEvidence } from "./breach-evidence.ts";
import type { EvidenceReading, ViolationEvidence } from "./evidence.ts";
import type { AccountChange } from "./outcome.ts";

/** A change with the state its writer expects the account to be in. */
export interface GuardedChange {
  change: AccountChange;
  /** The monitoring state the writer owns. */
  expectMonitoring: MonitoringState;
  /** The `state_version` read with the account, when the writer read one. */
  expectVersion?: number;
}

/** One input row of the guarded account update (column spellings as in the SQL). */
export interface AccountUpdateRow {
  id: number;
  risk_state: AccountChange["riskState"];
  metrics: AccountChange["metrics"];
  status: string | null;
  monitoring_state: string | null;
  /** ISO instant, or null when no change of the batch met the objectives. */
  objectives_met_at: string | null;
  expect_monitoring: MonitoringState;
  expect_version: number | null;
}

/**
 * The update's input: one row per account, its latest change (Postgres updates a row once per
 * statement). The moment the objectives were met rides on the change that met them, which a
 * later change of the same account in the batch must not drop.
 */
export function accountUpdateRows(batch: readonly GuardedChange[]): AccountUpdateRow[] {
  const latest = new Map<number, GuardedChange>();
  for (const g of batch) latest.set(g.change.accountId, g);
  const metAt = new Map<number, number>();
  for (const { change } of batch)
    if (change.objectivesMetAt !== undefined && !metAt.has(change.accountId))
      metAt.set(change.accountId, change.objectivesMetAt);
  return [...latest.values()].map(({ change, expectMonitoring, expectVersion }) => {
    const met = metAt.get(change.accountId);
    return {
      id: change.accountId,
      risk_state: change.riskState,
      metrics: change.metrics,
      status: change.status ?? null,
      monitoring_state: change.monitoringState ?? null,
      objectives_met_at: met === undefined ? null : new Date(met).toISOString(),
      expect_monitoring: expectMonitoring,
      expect_version: expectVersion ?? null,
    };
  });
}

/** The changes whose violations need evidence: those with violations and the rules that judged them. */
export function breachingChanges(batch: readonly GuardedChange[]): AccountChange[] {
  return batch.map(({ change }) => change).filter((c) => c.violations.length > 0 && c.rules);
}

/** One row of the evidence query: an account's rules version and one reading before the breach. */
export type EvidenceQueryRow = {
  account_id: number;
  rules_version: number | null;
  at: Date | string | null;
  balance: number | null;
  equity: number | null;
  usage: number | null;
  source: string | null;
};

/** The evidence of one breaching account and the rules version it names. */
export interface BreachEvidence {
  version: number | null;
  evidence: ViolationEvidence;
}

/**
 * The evidence of each breaching change, by account id, from the evidence query's rows (newest
 * reading first per account): the rules version is the change's own, else the account's current
 * one; the readings are those before the breaching reading.
 */
export function evidenceByAccount(
  breaching: readonly AccountChange[],
  rows: readonly EvidenceQueryRow[],
): Map<number, BreachEvidence> {
  const before = new Map<number, { version: number | null; readings: EvidenceReading[] }>();
  for (const r of rows) {
    const id = Number(r.account_id);
    const entry = before.get(id) ?? {
      version: r.rules_version === null ? null : Number(r.rules_version),
      readings: [],
    };
    before.set(id, entry);
    if (r.at !== null) {
      entry.readings.push({
        at: new Date(r.at).toISOString(),
        balance: Number(r.balance),
        equity: Number(r.equity),
        usage: Number(r.usage),
        source: String(r.source),
      });
    }
  }
  const out = new Map<number, BreachEvidence>();
  for (const c of breaching) {
    const found = before.get(c.accountId);
    const version = c.rulesVersion ?? found?.version ?? null;
    out.set(c.accountId, {
      version,
      evidence: buildEvidence({
        rules: c.rules!,
        rulesVersion: version,
        metrics: c.metrics,
        readingsBefore: found?.readings ?? [],
        cause: c.cause ?? null,
      }),
    });
  }
  return out;
}

/** A violation row to insert, with the rules version and evidence of its breach. */
export interface ViolationRow extends InsertedViolation {
  rulesVersion: number | null;
  evidence: ViolationEvidence | null;
}

/** Every violation of the batch (all land: a violation is a fact), with its evidence. */
export function violationRows(
  batch: readonly GuardedChange[],
  evidence: ReadonlyMap<number, BreachEvidence>,
): ViolationRow[] {
  return batch.flatMap(({ change }) =>
    change.violations.map((v) => ({
      rulesVersion: evidence.get(change.accountId)?.version ?? change.rulesVersion ?? null,
      evidence: evidence.get(change.accountId)?.evidence ?? null,
      accountId: change.accountId,
      rule: v.rule,
      period: v.period,
      equity: v.equity,
      floor: v.floor,
      usage: v.usage,
      source: v.source,
      detectedAt: new Date(v.at),
      severity: lossSeverity(change.rules, v.rule),
    })),
  );
}

/** A loss rule's severity under `rules` (docs/rules.md, "Severity of the loss rules"): hard unless it says soft. */
export function lossSeverity(rules: RuleParams | undefined, rule: string): "hard" | "soft" {
  const r =
    rule === "daily_loss" ? rules?.daily_loss : rule === "max_loss" ? rules?.max_loss : undefined;
  return r?.severity === "soft" ? "soft" : "hard";
}

/** An account's reset epoch and when it opened (null before any reset). */
export interface AccountEpoch {
  epoch: number;
  resetAt: Date | null;
}

/**
 * Each violation with the reset epoch it belongs to (docs/security.md, "Reset epochs"): the
 * account's current epoch when the breach happened after the reset that opened it, else the
 * epoch before (a breach read before a reset and written after it is a fact of the old epoch:
 * it neither opens a new violation nor breaches the account again).
 */
export function withEpochs(
  rows: readonly ViolationRow[],
  epochs: ReadonlyMap<number, AccountEpoch>,
): ViolationRow[] {
  return rows.map((v) => {
    const e = epochs.get(v.accountId);
    if (!e) return { ...v, resetEpoch: 0 };
    const after = e.resetAt === null || v.detectedAt.getTime() >= e.resetAt.getTime();
    return { ...v, resetEpoch: after ? e.epoch : Math.max(0, e.epoch - 1) };
  });
}

/** The violations of their account's current epoch: those that breach it. */
export function currentEpochRows(
  rows: readonly ViolationRow[],
  epochs: ReadonlyMap<number, AccountEpoch>,
): ViolationRow[] {
  return rows.filter((v) => (v.resetEpoch ?? 0) === (epochs.get(v.accountId)?.epoch ?? 0));
}

/** The accounts a batch's violations breach, each once: a soft violation breaches none. */
export function breachedAccountIds(rows: readonly ViolationRow[]): number[] {
  return [...new Set(rows.filter((v) => v.severity !== "soft").map((v) => v.accountId))];
}

/**
 * The audit lines of the changes whose update landed: one per entry, the action derived from
 * the field when the entry names none.
 */
export function changeAuditRows(
  batch: readonly GuardedChange[],
  applied: ReadonlySet<number>,
): AuditValues[] {
  return batch
    .filter(({ change }) => applied.has(change.accountId))
    .flatMap(({ change }) =>
      change.audit.map((a) =>
        auditValues({
          action: a.action ?? systemAction(a.field, a.to) ?? "account.updated",
          actor: systemActor(a.source),
          accountId: change.accountId,
          reason: a.reason,
          source: a.source,
          field: a.field,
          from: a.from,
          to: a.to,
          before: { [a.field]: a.from },
          after: { [a.field]: a.to },
          at: new Date(a.at),
        }),
      ),
    );
}

/**
 * The `account.breached` lines of the accounts a violation marked breached (`marked`, those
 * still active), by the source of the account's first violation, stamped `at`.
 */
export function breachAuditRows(
  marked: readonly number[],
  rows: readonly ViolationRow[],
  at: Date,
): AuditValues[] {
  return marked.map((id) => {
    const source = rows.find((v) => v.accountId === id)!.source as ReadingSource;
    return auditValues({
      action: "account.breached",
      actor: systemActor(source),
      accountId: id,
      reason: "violation recorded",
      source,
      field: "status",
      from: "active",
      to: "breached",
      before: { status: "active" },
      after: { status: "breached" },
      at,
    });
  });
}

/** One equity reading to insert (column spellings as in the SQL). */
export interface ReadingInsertRow {
  account_id: number;
  at: string;
  balance: number;
  equity: number;
  usage: number;
  source: ReadingSource;
}

/** The equity readings of the changes `readingsFor` picks, every change of an account kept. */
export function readingRows(
  batch: readonly GuardedChange[],
  readingsFor: (c: AccountChange) => boolean,
): ReadingInsertRow[] {
  return batch
    .filter(({ change }) => readingsFor(change))
    .map(({ change }) => ({
      account_id: change.accountId,
      at: new Date(change.reading.at).toISOString(),
      balance: change.reading.balance,
      equity: change.reading.equity,
      usage: change.reading.usage,
      source: change.reading.source,
    }));
}

/** The changes of the batch whose update landed (the alerts come from these). */
export function appliedChanges(
  batch: readonly GuardedChange[],
  applied: ReadonlySet<number>,
): AccountChange[] {
  return batch.map((g) => g.change).filter((c) => applied.has(c.accountId));
}

/**
 * The accounts the alerts name by login and server, from the rows the update returned; the
 * returned list is the ids of newly recorded violations that the update did not return (their
 * update missed), to be read apart.
 */
export function alertRefs(
  updated: readonly ChangedAccount[],
  recorded: readonly RecordedViolation[],
): { refs: Map<number, ChangedAccount>; missing: number[] } {
  const refs = new Map(updated.map((r) => [Number(r.id), r]));
  const missing = [...new Set(recorded.map((v) => v.accountId))].filter((id) => !refs.has(id));
  return { refs, missing };
}
