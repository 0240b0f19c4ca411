/**
 * The poll step for a set of accounts: read each summary from MTAPI (one slow or failing
 * account never holds up the others), evaluate it with the risk engine, write the batch,
 * and hand accounts that reached the live threshold to the live monitor.
 */
import { pendingAdjustments } from "../accounts/adjustments.ts";
import { restCause } from "../domain/breach-evidence.ts";
import { applyReading, toChange, type AccountChange } from "../domain/outcome.ts";
import {
  logRecorded,
  markProblems,
  writeChanges,
  type CreatedAction,
  type GuardedChange,
} from "../accounts/write-changes.ts";
import type { Db } from "../db/client.ts";
import type { AccountRow } from "../db/schema.ts";
import { fetchAccountSummary, guardSummary, type SummaryResult } from "../mtapi/account-summary.ts";
import { streamingRules } from "../live/client/stream-all.ts";
import { log } from "../util/log.ts";
import type { SealKeys } from "../secrets/seal.ts";
import { openSessionRows } from "../secrets/session.ts";
import { renewExpired } from "./renew.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import type { BrokerClock } from "../domain/trades/broker-time.ts";
import { pollTrades } from "./trades.ts";

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
  /**
   * Delay before an account whose answer came unsynced is read once more in the same poll
   * (ms; default UNSYNCED_RETRY_MS; 0 reads again at once, a negative value never).
   */
  unsyncedRetryMs?: number;
  /** The keys stored passwords open with (renewal by `ConnectEx`); none: no login by password. */
  sealKeys?: SealKeys | null;
  /** `STREAM_ALL`: judge with the hysteresis band at 0/0, so every account enters live. */
  streamAll?: boolean;
  /** Broker server time of order times (docs/trades.md, "Broker time"); default UTC. */
  brokerClock?: BrokerClock;
  /** Called with the accounts that entered live monitoring (their update landed). */
  onEnterLive?: (rows: AccountRow[], changes: AccountChange[]) => Promise<void>;
  /** The deployment's `ENFORCEMENT` ceiling (docs/enforcement.md, "Policy"); unset: off. */
  enforcement?: unknown;
  /** Called with the enforcement actions the write created (after it committed). */
  onActions?: (actions: CreatedAction[]) => Promise<void>;
}

/** A report of nothing polled yet. */
export function emptyReport(): PollReport {
  return { polled: 0, entered_live: 0, exited_live: 0, violations: 0, errors: 0, duration_ms: 0 };
}

/** Adds the counts of `r` to `total` (the duration is the caller's). */
export function addReport(total: PollReport, r: PollReport): void {
  total.polled += r.polled;
  total.entered_live += r.entered_live;
  total.exited_live += r.exited_live;
  total.violations += r.violations;
  total.errors += r.errors;
}

/**
 * Reads every account's summary over MTAPI, `concurrency` (6) calls at once. A caller that
 * holds no other connection meanwhile (the queue consumer closes its database pool first)
 * gets all six of an invocation's simultaneous connections for them.
 */
export async function readSummaries(
  stored: readonly AccountRow[],
  opts: Pick<
    PollOptions,
    "mtapiUrl" | "timeoutMs" | "concurrency" | "fetcher" | "unsyncedRetryMs" | "sealKeys"
  >,
): Promise<SummaryResult[]> {
  // Tokens are sealed at rest (docs/security.md): opened once per isolate, kept in memory.
  const rows = await openSessionRows(opts.sealKeys ?? null, stored);
  // docs/mtapi-bridge.md: an unsynced answer, or zeros where the last balance was not zero,
  // is no reading; such an account is read once more shortly (the bridge syncs in seconds).
  const read = (row: AccountRow) =>
    fetchAccountSummary(opts.mtapiUrl, row.sessionId, opts.timeoutMs ?? 10_000, opts.fetcher).then(
      (r) => guardSummary(r, row.riskState?.balance),
    );
  const results = await mapWithConcurrency(rows, opts.concurrency ?? 6, read);
  const retryMs = opts.unsyncedRetryMs ?? UNSYNCED_RETRY_MS;
  const again = rows.flatMap((row, i) => {
    const r = results[i]!;
    return !r.ok && r.problem === "unsynced" ? [i] : [];
  });
  if (again.length === 0 || retryMs < 0) return results;
  if (retryMs > 0) await new Promise((resolve) => setTimeout(resolve, retryMs));
  const second = await mapWithConcurrency(again, opts.concurrency ?? 6, (i) => read(rows[i]!));
  again.forEach((i, k) => (results[i] = second[k]!));
  return results;
}

/** The wait before an unsynced account is read again within the same poll (ms). */
export const UNSYNCED_RETRY_MS = 2_000;

/**
 * Polls the given (already loaded) accounts and writes the outcome in one batch.
 * @param summaries the accounts' MTAPI answers when already read (readSummaries), in order.
 */
export async function pollAccounts(
  db: Db,
  stored: readonly AccountRow[],
  opts: PollOptions,
  summaries?: readonly SummaryResult[],
): Promise<PollReport> {
  const now = opts.now ?? Date.now;
  // From here on `sessionId` is the token in clear (src/secrets/session.ts), for MTAPI calls,
  // masking the evidence, renewal and the live hand-off; never written back as it is.
  const rows = await openSessionRows(opts.sealKeys ?? null, stored);
  const started = now();
  // docs/mtapi-bridge.md "Sessions": expired tokens are renewed and read again here.
  const results = await renewExpired(
    db,
    rows,
    [...(summaries ?? (await readSummaries(rows, opts)))],
    opts,
  );
  const adjustments = await pendingAdjustments(db, rows);
  const batch: GuardedChange[] = [];
  const problems: Array<{ accountId: number; problem: string | null }> = [];
  const report: PollReport = { ...emptyReport(), polled: rows.length };
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
    const at = now();
    let change: AccountChange | null = null;
    let enterLive = false;
    const rules = opts.streamAll ? streamingRules(row.rules) : row.rules;
    try {
      const outcome = applyReading(
        row.id,
        rules,
        row.riskState ?? null,
        "polling",
        { balance, equity, at, source: "poll" },
        { adjustments: adjustments.get(row.id) ?? [] },
      );
      if (outcome.applied) {
        for (const w of outcome.warnings) {
          log("warning:reached", {
            account_id: row.id,
            rule: w.rule,
            period: w.period,
            level: w.level,
          });
        }
        if (outcome.objectivesMetAt !== null) log("objectives:met", { account_id: row.id });
        change = toChange(rules, outcome, {
          rulesVersion: row.rulesVersion,
          cause: restCause(row.sessionId, result.summary, at),
        });
        enterLive = outcome.enterLive;
      }
    } catch (err) {
      // One account whose rules cannot be evaluated never stops the others.
      report.errors++;
      problems.push({ accountId: row.id, problem: "invalid_rules" });
      log("poll:account_failed", { account_id: row.id, problem: "invalid_rules" }, err);
      return;
    }
    if (!change) return;
    batch.push({ change, expectMonitoring: "polling", expectVersion: row.stateVersion });
    if (enterLive) entering.set(row.id, change);
  });
  const written = await writeChanges(db, batch, undefined, { enforcement: opts.enforcement });
  if (written.actions.length > 0 && opts.onActions) await opts.onActions(written.actions);
  await markProblems(db, problems);
  report.violations = written.recorded.length;
  logRecorded(written.recorded, "poll");
  const entered = rows.filter((r) => entering.has(r.id) && written.applied.has(r.id));
  report.entered_live = entered.length;
  if (entered.length && opts.onEnterLive) {
    await opts.onEnterLive(
      entered,
      entered.map((r) => entering.get(r.id)!),
    );
  }
  // Trades after the equity write: an account with trade rules has its orders read, stored
  // and judged (docs/trades.md, "When rules are judged"); a failure here is logged, never the poll's.
  const trades = await pollTrades(db, rows, {
    mtapiUrl: opts.mtapiUrl,
    now,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.fetcher !== undefined ? { fetcher: opts.fetcher } : {}),
    ...(opts.brokerClock !== undefined ? { clock: opts.brokerClock } : {}),
  });
  report.violations += trades.violations;
  if (trades.accounts > 0) log("trades:polled", { ...trades });
  report.duration_ms = now() - started;
  return report;
}
