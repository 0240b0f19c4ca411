/**
 * The poll step for a set of accounts: read each summary from MTAPI (one slow or failing
 * account never holds up the others), evaluate it with the risk engine, write the batch,
 * and hand accounts that reached the live threshold to the live monitor.
 */
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { pendingAdjustments } from "../accounts/adjustments.ts";
import { applyReading, toChange, type AccountChange } from "../accounts/outcome.ts";
import { markProblems, writeChanges, type GuardedChange } from "../accounts/write-changes.ts";
import type { Db } from "../db/client.ts";
import { accounts, type AccountRow } from "../db/schema.ts";
import { fetchAccountSummary, type SummaryResult } from "../mtapi/account-summary.ts";
import { log } from "../log.ts";
import { mapWithConcurrency } from "./concurrency.ts";

/** What a poll did, as `POST /v1/poll` reports it. */
export interface PollReport {
  polled: number;
  entered_live: number;
  exited_live: number;
  violations: number;
  errors: number;
  duration_ms: number;
}

export interface PollOptions {
  mtapiUrl: string;
  /** Per-call MTAPI timeout (ms). */
  timeoutMs?: number;
  /** MTAPI calls in flight at once (Workers allow 6 open connections per invocation). */
  concurrency?: number;
  fetcher?: typeof fetch;
  now?: () => number;
  /** Called with the accounts that entered live monitoring (their update landed). */
  onEnterLive?: (rows: AccountRow[], changes: AccountChange[]) => Promise<void>;
}

/** The accounts the sweep polls: active and not live, by id, in pages. */
export async function selectPollable(db: Db, afterId = 0, limit = 1000): Promise<AccountRow[]> {
  return db
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.status, "active"),
        eq(accounts.monitoringState, "polling"),
        gt(accounts.id, afterId),
      ),
    )
    .orderBy(asc(accounts.id))
    .limit(limit);
}

/** Loads the given accounts that are pollable now. */
export async function selectPollableByIds(db: Db, ids: readonly number[]): Promise<AccountRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(accounts)
    .where(
      and(
        inArray(accounts.id, [...ids]),
        eq(accounts.status, "active"),
        eq(accounts.monitoringState, "polling"),
      ),
    )
    .orderBy(asc(accounts.id));
}

/** Polls the given (already loaded) accounts and writes the outcome in one batch. */
export async function pollAccounts(
  db: Db,
  rows: readonly AccountRow[],
  opts: PollOptions,
): Promise<PollReport> {
  const now = opts.now ?? Date.now;
  const started = now();
  const results: SummaryResult[] = await mapWithConcurrency(rows, opts.concurrency ?? 6, (row) =>
    fetchAccountSummary(opts.mtapiUrl, row.sessionId, opts.timeoutMs ?? 10_000, opts.fetcher),
  );
  const adjustments = await pendingAdjustments(db, rows);
  const batch: GuardedChange[] = [];
  const problems: Array<{ accountId: number; problem: string | null }> = [];
  const report: PollReport = {
    polled: rows.length,
    entered_live: 0,
    exited_live: 0,
    violations: 0,
    errors: 0,
    duration_ms: 0,
  };
  const entering = new Map<number, AccountChange>();
  rows.forEach((row, i) => {
    const result = results[i]!;
    if (!result.ok) {
      report.errors++;
      problems.push({ accountId: row.id, problem: result.problem });
      log("poll:account_failed", {
        account_id: row.id,
        problem: result.problem,
        detail: result.detail,
      });
      return;
    }
    const { balance, equity } = result.summary;
    const outcome = applyReading(
      row.id,
      row.rules,
      row.riskState ?? null,
      "polling",
      { balance, equity, at: now(), source: "poll" },
      { adjustments: adjustments.get(row.id) ?? [] },
    );
    if (!outcome.applied) return;
    for (const w of outcome.warnings) {
      log("warning:reached", {
        account_id: row.id,
        rule: w.rule,
        period: w.period,
        level: w.level,
      });
    }
    if (outcome.objectivesMetAt !== null) log("objectives:met", { account_id: row.id });
    const change = toChange(row.rules, outcome);
    batch.push({ change, expectMonitoring: "polling", expectVersion: row.stateVersion });
    if (outcome.enterLive) entering.set(row.id, change);
  });
  const written = await writeChanges(db, batch);
  await markProblems(db, problems);
  report.violations = written.recorded.length;
  for (const v of written.recorded)
    log("violation:recorded", {
      account_id: v.accountId,
      rule: v.rule,
      period: v.period,
      source: "poll",
    });
  const entered = rows.filter((r) => entering.has(r.id) && written.applied.has(r.id));
  report.entered_live = entered.length;
  if (entered.length && opts.onEnterLive) {
    await opts.onEnterLive(
      entered,
      entered.map((r) => entering.get(r.id)!),
    );
  }
  report.duration_ms = now() - started;
  return report;
}
