/**
 * Writes a batch of account changes in one transaction, a fixed number of statements
 * whatever the batch size. A change lands only over an older reading (compare-and-set on the
 * engine state's `last_at`). Each change is guarded: it lands only if the account is still
 * `active` and in the monitoring state its writer owns (the poller owns polled accounts,
 * the live monitor live ones), so a write that raced an operator's change is dropped
 * rather than undoing it. Violations are facts and always land, at most once per
 * (account, rule, period) thanks to the unique key, so retries are safe.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountAudit, accounts, readings, violations } from "../db/schema.ts";
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
  // One update row per account (the latest change): Postgres updates a row once per statement.
  const latest = new Map<number, GuardedChange>();
  for (const g of batch) latest.set(g.change.accountId, g);
  const input = [...latest.values()].map(({ change, expectMonitoring, expectVersion }) => ({
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
        -- Compare-and-set on the reading time: an older reading never lands over a newer one
        -- (overlapping sweeps, a redelivered queue batch, POST /v1/poll racing the cron).
        and (a.risk_state is null
          or (a.risk_state->>'last_at')::float8 <= (i.risk_state->>'last_at')::float8)
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

    // A violation is a fact: its account is breached even when the guarded update missed
    // (an operator moved it while the breach was on its way), whatever its monitoring state.
    const breachIds = [...new Set(violationRows.map((v) => v.accountId))];
    const marked = breachIds.length
      ? await tx
          .update(accounts)
          .set({
            status: "breached",
            monitoringState: "polling",
            stateVersion: sql`${accounts.stateVersion} + 1`,
            updatedAt: new Date(),
          })
          .where(and(inArray(accounts.id, breachIds), eq(accounts.status, "active")))
          .returning({ id: accounts.id })
      : [];
    const markedRows = marked.map(({ id }) => ({
      accountId: id,
      field: "status" as const,
      fromValue: "active",
      toValue: "breached",
      reason: "violation recorded",
      source: violationRows.find((v) => v.accountId === id)!.source,
      at: new Date(),
    }));

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
    auditRows.push(...markedRows);
    if (auditRows.length) await tx.insert(accountAudit).values(auditRows);

    const readingRows = batch
      .filter(({ change }) => readingsFor(change))
      .map(({ change }) => ({
        account_id: change.accountId,
        at: new Date(change.reading.at).toISOString(),
        balance: change.reading.balance,
        equity: change.reading.equity,
        usage: change.reading.usage,
        source: change.reading.source,
      }));
    // Readings of an account that no longer exists are dropped, not a failed batch.
    if (readingRows.length)
      await tx.execute(sql`
        insert into ${readings} (account_id, at, balance, equity, usage, source)
        select r.account_id, r.at, r.balance, r.equity, r.usage, r.source
        from jsonb_to_recordset(${JSON.stringify(readingRows)}::jsonb) as r(
          account_id int, at timestamptz, balance float8, equity float8, usage float8, source text)
        join ${accounts} a on a.id = r.account_id`);

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
