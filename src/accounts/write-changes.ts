/**
 * Writes a batch of account changes in one transaction, a fixed number of statements
 * whatever the batch size. A change lands only over an older reading (compare-and-set on the
 * engine state's `last_at`). Each change is guarded: it lands only if the account is still
 * `active` and in the monitoring state its writer owns (the poller owns polled accounts,
 * the live monitor live ones), so a write that raced an operator's change is dropped
 * rather than undoing it. Violations are facts and always land, at most once per
 * (account, rule, period) thanks to the unique key; readings at most once per (account,
 * instant, source); audit rows only with an update that landed; so replays are safe.
 *
 * This module is the transaction script: one named step per statement. The rows each step
 * sends are built by the pure functions of src/domain/write-rows.ts.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import {
  accountEventAlerts,
  problemAlerts,
  type ChangedAccount,
  type RecordedViolation,
} from "../domain/account-alerts.ts";
import { recordAlerts, sendAlerts } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import { accountAudit, accounts, readings, violations } from "../db/schema.ts";
import { createActions, type CreatedAction } from "./enforcement-actions.ts";
import { log } from "../util/log.ts";
import type { ReadingSource } from "../risk/index.ts";
import type { AuditValues } from "../domain/audit.ts";
import { EVIDENCE_READINGS } from "../domain/breach-evidence.ts";
import type { AccountChange } from "../domain/outcome.ts";
import {
  accountUpdateRows,
  alertRefs,
  appliedChanges,
  breachAuditRows,
  breachedAccountIds,
  breachingChanges,
  changeAuditRows,
  currentEpochRows,
  evidenceByAccount,
  readingRows,
  violationRows,
  withEpochs,
  type AccountEpoch,
  type AccountUpdateRow,
  type BreachEvidence,
  type EvidenceQueryRow,
  type GuardedChange,
  type ReadingInsertRow,
  type ViolationRow,
} from "../domain/write-rows.ts";

export type { GuardedChange } from "../domain/write-rows.ts";
export type { CreatedAction } from "./enforcement-actions.ts";
export type { RecordedViolation } from "../domain/account-alerts.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface WriteResult {
  /** Account ids whose update landed. */
  applied: Set<number>;
  /** Violations newly recorded (not those already on record). */
  recorded: RecordedViolation[];
  /** Enforcement actions created with them (docs/enforcement.md, "Persistence"). */
  actions: CreatedAction[];
}

export interface WriteOptions {
  /** The deployment's `ENFORCEMENT` ceiling; unset: off (no action is ever created). */
  enforcement?: unknown;
}

/** One `violation:recorded` log line per newly recorded violation. */
export function logRecorded(recorded: readonly RecordedViolation[], source: ReadingSource): void {
  for (const v of recorded)
    log("violation:recorded", {
      account_id: v.accountId,
      rule: v.rule,
      period: v.period,
      source,
    });
}

/** Writes the batch; `readingsFor` picks which changes also leave an equity reading. */
export async function writeChanges(
  db: Db,
  batch: readonly GuardedChange[],
  readingsFor: (c: AccountChange) => boolean = () => true,
  options: WriteOptions = {},
): Promise<WriteResult> {
  if (batch.length === 0) return { applied: new Set(), recorded: [], actions: [] };
  const result = await db.transaction(async (tx) => {
    const updated = await updateAccounts(tx, accountUpdateRows(batch));
    const applied = new Set(updated.map((r) => Number(r.id)));
    const evidence = await readEvidence(tx, breachingChanges(batch));
    const epochs = await readEpochs(tx, batch);
    const violated = withEpochs(violationRows(batch, evidence), epochs);
    const recorded = await insertViolations(tx, violated);
    const marked = await markBreached(tx, breachedAccountIds(currentEpochRows(violated, epochs)));
    await insertAudit(tx, [
      ...changeAuditRows(batch, applied),
      ...breachAuditRows(marked, violated, new Date()),
    ]);
    // The action commits with its violation: a breach is never recorded without it, nor twice.
    // A soft loss violation fails nothing, so it starts no enforcement either.
    const hard = recorded.filter((v) => v.severity !== "soft");
    const actions = await createActions(tx, hard, violated, options.enforcement);
    await insertReadings(tx, readingRows(batch, readingsFor));
    // Alerts commit with the change: violation.recorded once per new violation, live
    // enter/exit per applied move, account.problem when a reading clears a problem.
    const refs = await readAlertRefs(tx, updated, recorded);
    const alerts = accountEventAlerts(appliedChanges(batch, applied), recorded, violated, refs);
    const alerted = await recordAlerts(tx, alerts);
    return { applied, recorded, alerted, actions };
  });
  await sendAlerts(result.alerted);
  return { applied: result.applied, recorded: result.recorded, actions: result.actions };
}

/**
 * The guarded update: each account to its latest change, if still `active`, in the monitoring
 * state its writer owns, at the version it read, and under an older reading. Returns the rows
 * that landed with `prev_problem`, the problem this update clears (the alerts need it).
 */
async function updateAccounts(
  tx: Tx,
  input: readonly AccountUpdateRow[],
): Promise<ChangedAccount[]> {
  const updated = await tx.execute<ChangedAccount>(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as v(
        id int, risk_state jsonb, metrics jsonb, status text, monitoring_state text,
        objectives_met_at timestamptz, expect_monitoring text, expect_version int)
    )
    update accounts a set
      risk_state = i.risk_state,
      metrics = i.metrics,
      status = coalesce(i.status, a.status),
      monitoring_state = coalesce(i.monitoring_state, a.monitoring_state),
      objectives_met_at = coalesce(a.objectives_met_at, i.objectives_met_at),
      problem = null,
      problem_since = null,
      state_version = a.state_version
        + case when i.status is not null or i.monitoring_state is not null then 1 else 0 end,
      updated_at = now()
    from input i, accounts prev
    where a.id = i.id and prev.id = i.id and a.status = 'active'
      and a.monitoring_state = i.expect_monitoring
      and (i.expect_version is null or a.state_version = i.expect_version)
      -- Compare-and-set on the reading time: an older reading never lands over a newer one
      -- (overlapping sweeps, a redelivered queue batch, POST /v1/poll racing the cron).
      and (a.risk_state is null
        or (a.risk_state->>'last_at')::float8 <= (i.risk_state->>'last_at')::float8)
    returning a.id, a.login, a.server, a.label, prev.problem as prev_problem`);
  return updated.rows;
}

/**
 * The evidence of each breaching change: each account's current rules version and up to 20
 * readings before the breaching reading, in one statement whatever the number of breaches.
 */
async function readEvidence(
  tx: Tx,
  breaching: readonly AccountChange[],
): Promise<Map<number, BreachEvidence>> {
  if (breaching.length === 0) return new Map();
  const input = breaching.map((c) => ({
    id: c.accountId,
    at: new Date(c.reading.at).toISOString(),
  }));
  const rows = await tx.execute<EvidenceQueryRow>(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as v(id int, at timestamptz)
    )
    select i.id as account_id, a.rules_version, r.at, r.balance, r.equity, r.usage, r.source
    from input i
    left join accounts a on a.id = i.id
    left join lateral (
      select at, balance, equity, usage, source from readings
      where account_id = i.id and at < i.at
      order by at desc, id desc
      limit ${EVIDENCE_READINGS}
    ) r on true
    order by i.id, r.at desc nulls last`);
  return evidenceByAccount(breaching, rows.rows);
}

/**
 * The reset epoch of each account the batch's violations name (locked: a reset waits for
 * this write, and this write sees a reset that committed first).
 */
async function readEpochs(
  tx: Tx,
  batch: readonly GuardedChange[],
): Promise<Map<number, AccountEpoch>> {
  const ids = [
    ...new Set(batch.filter((g) => g.change.violations.length > 0).map((g) => g.change.accountId)),
  ];
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: accounts.id, epoch: accounts.resetEpoch, resetAt: accounts.resetAt })
    .from(accounts)
    .where(inArray(accounts.id, ids))
    .for("update");
  return new Map(rows.map((r) => [r.id, { epoch: r.epoch, resetAt: r.resetAt }]));
}

/**
 * Inserts the violations, at most once per (account, rule, period, reset epoch); returns
 * those new.
 */
async function insertViolations(
  tx: Tx,
  rows: readonly ViolationRow[],
): Promise<RecordedViolation[]> {
  if (rows.length === 0) return [];
  return tx
    .insert(violations)
    .values([...rows])
    .onConflictDoNothing({
      target: [violations.accountId, violations.rule, violations.period, violations.resetEpoch],
    })
    .returning({
      id: violations.id,
      accountId: violations.accountId,
      rule: violations.rule,
      period: violations.period,
      resetEpoch: violations.resetEpoch,
      severity: violations.severity,
    });
}

/**
 * A violation is a fact: its account is breached even when the guarded update missed (an
 * operator moved it while the breach was on its way), whatever its monitoring state. Returns
 * the ids of the accounts it marked (those still active).
 */
async function markBreached(tx: Tx, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const marked = await tx
    .update(accounts)
    .set({
      status: "breached",
      monitoringState: "polling",
      stateVersion: sql`${accounts.stateVersion} + 1`,
      updatedAt: new Date(),
    })
    .where(and(inArray(accounts.id, [...ids]), eq(accounts.status, "active")))
    .returning({ id: accounts.id });
  return marked.map((r) => r.id);
}

async function insertAudit(tx: Tx, rows: readonly AuditValues[]): Promise<void> {
  if (rows.length) await tx.insert(accountAudit).values([...rows]);
}

/**
 * Readings of an account that no longer exists are dropped, not a failed batch; a replayed
 * batch (committed, then not acknowledged) finds its readings already there.
 */
async function insertReadings(tx: Tx, rows: readonly ReadingInsertRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(sql`
    insert into ${readings} (account_id, at, balance, equity, usage, source)
    select r.account_id, r.at, r.balance, r.equity, r.usage, r.source
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
      account_id int, at timestamptz, balance float8, equity float8, usage float8, source text)
    join ${accounts} a on a.id = r.account_id
    on conflict (account_id, at, source) do nothing`);
}

/** The accounts the alerts name: those updated, and those whose violation landed without. */
async function readAlertRefs(
  tx: Tx,
  updated: readonly ChangedAccount[],
  recorded: readonly RecordedViolation[],
): Promise<Map<number, ChangedAccount>> {
  const { refs, missing } = alertRefs(updated, recorded);
  if (missing.length === 0) return refs;
  const more = await tx
    .select({
      id: accounts.id,
      login: accounts.login,
      server: accounts.server,
      label: accounts.label,
    })
    .from(accounts)
    .where(inArray(accounts.id, missing));
  for (const r of more) refs.set(r.id, { ...r, prev_problem: null });
  return refs;
}

/**
 * Marks (or, with `problem: null`, clears) per-account problems in one statement, with an
 * `account.problem` alert per change in the same transaction.
 */
export async function markProblems(
  db: Db,
  problems: ReadonlyArray<{ accountId: number; problem: string | null }>,
): Promise<void> {
  if (problems.length === 0) return;
  const input = problems.map((p) => ({ id: p.accountId, problem: p.problem }));
  const alerted = await db.transaction(async (tx) => {
    const changed = await tx.execute<ChangedAccount & { problem: string | null }>(sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as v(id int, problem text)
      )
      update accounts a set
        problem = i.problem,
        problem_since = case when i.problem is null then null
                             when a.problem is distinct from i.problem then now()
                             else a.problem_since end,
        updated_at = now()
      from input i, accounts prev
      where a.id = i.id and prev.id = i.id and a.problem is distinct from i.problem
      returning a.id, a.login, a.server, a.label, a.problem, prev.problem as prev_problem`);
    const alerts = changed.rows.flatMap((r) => problemAlerts(r, r.problem));
    return recordAlerts(tx, alerts);
  });
  await sendAlerts(alerted);
}
