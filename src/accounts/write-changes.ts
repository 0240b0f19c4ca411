/**
 * Writes a batch of account changes in one transaction, a fixed number of statements
 * whatever the batch size. A change lands only over an older reading (compare-and-set on the
 * engine state's `last_at`). Each change is guarded: it lands only if the account is still
 * `active` and in the monitoring state its writer owns (the poller owns polled accounts,
 * the live monitor live ones), so a write that raced an operator's change is dropped
 * rather than undoing it. Violations are facts and always land, at most once per
 * (account, rule, period) thanks to the unique key; readings at most once per (account,
 * instant, source); audit rows only with an update that landed; so replays are safe.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import {
  accountEventAlerts,
  problemAlerts,
  type ChangedAccount,
} from "../domain/account-alerts.ts";
import { recordAlerts, sendAlerts } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import type { EvidenceReading, ViolationEvidence } from "../domain/evidence.ts";
import { accountAudit, accounts, readings, violations } from "../db/schema.ts";
import { log } from "../util/log.ts";
import type { MonitoringState, ReadingSource } from "../risk/index.ts";
import { auditValues, systemAction, systemActor } from "../domain/audit.ts";
import { buildEvidence, EVIDENCE_READINGS } from "../domain/breach-evidence.ts";
import type { AccountChange } from "../domain/outcome.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * The evidence of each breaching change, by account id: its rules version (the change's own,
 * else the account's current one) and up to 20 readings before the breaching reading, read in
 * the writer's transaction. One statement whatever the number of breaches.
 */
async function evidenceFor(
  tx: Tx,
  breaching: readonly AccountChange[],
): Promise<Map<number, { version: number | null; evidence: ViolationEvidence }>> {
  const out = new Map<number, { version: number | null; evidence: ViolationEvidence }>();
  if (breaching.length === 0) return out;
  const input = breaching.map((c) => ({
    id: c.accountId,
    at: new Date(c.reading.at).toISOString(),
  }));
  const rows = await tx.execute<{
    account_id: number;
    rules_version: number | null;
    at: Date | string | null;
    balance: number | null;
    equity: number | null;
    usage: number | null;
    source: string | null;
  }>(sql`
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
  const before = new Map<number, { version: number | null; readings: EvidenceReading[] }>();
  for (const r of rows.rows) {
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
  // The moment the objectives were met rides on the change that met them, which a later
  // change of the same account in this batch must not drop.
  const metAt = new Map<number, number>();
  for (const { change } of batch)
    if (change.objectivesMetAt !== undefined && !metAt.has(change.accountId))
      metAt.set(change.accountId, change.objectivesMetAt);
  const input = [...latest.values()].map(({ change, expectMonitoring, expectVersion }) => ({
    id: change.accountId,
    risk_state: change.riskState,
    metrics: change.metrics,
    status: change.status ?? null,
    monitoring_state: change.monitoringState ?? null,
    objectives_met_at: metAt.has(change.accountId)
      ? new Date(metAt.get(change.accountId)!).toISOString()
      : null,
    expect_monitoring: expectMonitoring,
    expect_version: expectVersion ?? null,
  }));
  const result = await db.transaction(async (tx) => {
    // `prev` is the row as it was: the alerts need the problem this update clears.
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
    const applied = new Set(updated.rows.map((r) => Number(r.id)));

    const breaching = batch
      .map(({ change }) => change)
      .filter((c) => c.violations.length > 0 && c.rules);
    const evidence = await evidenceFor(tx, breaching);
    const violationRows = batch.flatMap(({ change }) =>
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
    const markedRows = marked.map(({ id }) => {
      const source = violationRows.find((v) => v.accountId === id)!.source as ReadingSource;
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
        at: new Date(),
      });
    });

    const auditRows = batch
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
    // Readings of an account that no longer exists are dropped, not a failed batch; a replayed
    // batch (committed, then not acknowledged) finds its readings already there.
    if (readingRows.length)
      await tx.execute(sql`
        insert into ${readings} (account_id, at, balance, equity, usage, source)
        select r.account_id, r.at, r.balance, r.equity, r.usage, r.source
        from jsonb_to_recordset(${JSON.stringify(readingRows)}::jsonb) as r(
          account_id int, at timestamptz, balance float8, equity float8, usage float8, source text)
        join ${accounts} a on a.id = r.account_id
        on conflict (account_id, at, source) do nothing`);

    // Alerts commit with the change: violation.recorded once per new violation, live
    // enter/exit per applied move, account.problem when a reading clears a problem.
    const refs = new Map(updated.rows.map((r) => [Number(r.id), r]));
    const missing = [...new Set(recorded.map((v) => v.accountId))].filter((id) => !refs.has(id));
    if (missing.length) {
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
    }
    const alerts = accountEventAlerts(
      batch.map((g) => g.change).filter((c) => applied.has(c.accountId)),
      recorded,
      violationRows,
      refs,
    );
    const alerted = await recordAlerts(tx, alerts);
    return { applied, recorded, alerted };
  });
  await sendAlerts(result.alerted);
  return { applied: result.applied, recorded: result.recorded };
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
