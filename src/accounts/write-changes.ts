/**
 * Writes a batch of account changes in one transaction, a fixed number of statements
 * whatever the batch size. Each change is guarded: it lands only if the account is still
 * `active` and in the monitoring state its writer owns (the poller owns polled accounts,
 * the live monitor live ones), so a write that raced an operator's change is dropped
 * rather than undoing it. Violations are facts and always land, at most once per
 * (account, rule, period) thanks to the unique key; readings at most once per (account,
 * instant, source); audit rows only with an update that landed; so replays are safe.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountAudit, readings, violations } from "../db/schema.ts";
import { log } from "../log.ts";
import type { MonitoringState, ReadingSource } from "../risk/index.ts";
import type { AccountChange } from "./outcome.ts";

/** A change with the state its writer expects the account to be in. */
export interface GuardedChange {
  change: AccountChange;
  /** The monitoring state the writer owns. */
  expectMonitoring: MonitoringState;
  /** The `state_version` read with the account, when the writer read one. */
  expectVersion?: number;
}

/** A violation newly recorded by a write. */
export interface RecordedViolation {
  id: number;
  accountId: number;
  rule: string;
  period: string;
}

export interface WriteResult {
  /** Account ids whose update landed. */
  applied: Set<number>;
  /** Violations newly recorded (not those already on record). */
  recorded: RecordedViolation[];
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
): Promise<WriteResult> {
  if (batch.length === 0) return { applied: new Set(), recorded: [] };
  const input = batch.map(({ change, expectMonitoring, expectVersion }) => ({
    id: change.accountId,
    risk_state: change.riskState,
    metrics: change.metrics,
    status: change.status ?? null,
    monitoring_state: change.monitoringState ?? null,
    expect_monitoring: expectMonitoring,
    expect_version: expectVersion ?? null,
  }));
  return db.transaction(async (tx) => {
    const updated = await tx.execute<{ id: number }>(sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as v(
          id int, risk_state jsonb, metrics jsonb, status text, monitoring_state text,
          expect_monitoring text, expect_version int)
      )
      update accounts a set
        risk_state = i.risk_state,
        metrics = i.metrics,
        status = coalesce(i.status, a.status),
        monitoring_state = coalesce(i.monitoring_state, a.monitoring_state),
        problem = null,
        problem_since = null,
        state_version = a.state_version
          + case when i.status is not null or i.monitoring_state is not null then 1 else 0 end,
        updated_at = now()
      from input i
      where a.id = i.id and a.status = 'active' and a.monitoring_state = i.expect_monitoring
        and (i.expect_version is null or a.state_version = i.expect_version)
      returning a.id`);
    const applied = new Set(updated.rows.map((r) => Number(r.id)));

    const violationRows = batch.flatMap(({ change }) =>
      change.violations.map((v) => ({
        accountId: change.accountId,
        rule: v.rule,
        period: v.period,
        equity: v.equity,
        floor: v.floor,
        usage: v.usage,
        source: v.source,
        detectedAt: new Date(v.at),
      })),
    );
    const recorded = violationRows.length
      ? await tx
          .insert(violations)
          .values(violationRows)
          .onConflictDoNothing({
            target: [violations.accountId, violations.rule, violations.period],
          })
          .returning({
            id: violations.id,
            accountId: violations.accountId,
            rule: violations.rule,
            period: violations.period,
          })
      : [];

    const auditRows = batch
      .filter(({ change }) => applied.has(change.accountId))
      .flatMap(({ change }) =>
        change.audit.map((a) => ({
          accountId: change.accountId,
          field: a.field,
          fromValue: a.from,
          toValue: a.to,
          reason: a.reason,
          source: a.source,
          at: new Date(a.at),
        })),
      );
    if (auditRows.length) await tx.insert(accountAudit).values(auditRows);

    const readingRows = batch
      .filter(({ change }) => readingsFor(change))
      .map(({ change }) => ({
        accountId: change.accountId,
        at: new Date(change.reading.at),
        balance: change.reading.balance,
        equity: change.reading.equity,
        usage: change.reading.usage,
        source: change.reading.source,
      }));
    // A replayed batch (committed, then not acknowledged) finds its readings already there.
    if (readingRows.length)
      await tx
        .insert(readings)
        .values(readingRows)
        .onConflictDoNothing({ target: [readings.accountId, readings.at, readings.source] });

    return { applied, recorded };
  });
}

/** Marks (or, with `problem: null`, clears) per-account problems in one statement. */
export async function markProblems(
  db: Db,
  problems: ReadonlyArray<{ accountId: number; problem: string | null }>,
): Promise<void> {
  if (problems.length === 0) return;
  const input = problems.map((p) => ({ id: p.accountId, problem: p.problem }));
  await db.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as v(id int, problem text)
    )
    update accounts a set
      problem = i.problem,
      problem_since = case when i.problem is null then null
                           when a.problem is distinct from i.problem then now()
                           else a.problem_since end,
      updated_at = now()
    from input i
    where a.id = i.id and a.problem is distinct from i.problem`);
}
