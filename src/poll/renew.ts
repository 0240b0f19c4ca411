/**
 * Renewal of the polled accounts' sessions (docs/mtapi-bridge.md, "Sessions"): an account whose
 * token answered `token_invalid` is reconnected (`ConnectByToken`, then `ConnectEx` with its
 * stored credentials), the new token replaces the old in Postgres, and the account is read
 * again under it within the same poll. Per-account backoff; `INVALID_ACCOUNT` stops retries
 * until an operator changes the credentials (the problem `credentials_rejected` alerts once).
 */
import { credentialOpener, recordRenewFailed, recordRenewed } from "../accounts/credentials.ts";
import type { Db } from "../db/client.ts";
import { accounts, type AccountRow } from "../db/schema.ts";
import { and, asc, eq, inArray, isNotNull, isNull, lte, ne, or } from "drizzle-orm";
import { markProblems } from "../accounts/write-changes.ts";
import type { SealKeys } from "../secrets/seal.ts";
import { openSessionRows } from "../secrets/session.ts";
import {
  fetchAccountSummary,
  guardSummary,
  type SummaryProblem,
  type SummaryResult,
} from "../mtapi/account-summary.ts";
import { renewSession } from "../mtapi/renew.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { log } from "../util/log.ts";

export interface RenewOptions {
  mtapiUrl: string;
  timeoutMs?: number;
  concurrency?: number;
  fetcher?: typeof fetch;
  now?: () => number;
  /** The seal keys stored passwords open with; null or absent: none can be opened. */
  sealKeys?: SealKeys | null;
}

/** Problems a renewal in backoff keeps showing (its last outcome); others show token_invalid. */
const KEPT = new Set(["session_expired", "upstream_unavailable", "mtapi_unreachable"]);

/**
 * Renews the sessions of the accounts whose answer was `token_invalid` and reads them again
 * (`rows` with their tokens opened: src/secrets/session.ts);
 * returns the results with those answers replaced. Never throws for one account.
 */
export async function renewExpired(
  db: Db,
  rows: readonly AccountRow[],
  results: SummaryResult[],
  opts: RenewOptions,
): Promise<SummaryResult[]> {
  const now = (opts.now ?? Date.now)();
  const due: number[] = [];
  rows.forEach((row, i) => {
    const r = results[i]!;
    if (r.ok || r.problem !== "token_invalid") return;
    if (row.credentialsStatus === "rejected" && row.credentialsSealed) {
      // docs/mtapi-bridge.md: INVALID_ACCOUNT is final until the credentials change.
      results[i] = { ok: false, problem: "credentials_rejected", detail: "credentials rejected" };
      return;
    }
    if (row.sessionRenewAfter && row.sessionRenewAfter.getTime() > now) {
      const kept = row.problem && KEPT.has(row.problem) ? row.problem : "token_invalid";
      results[i] = { ok: false, problem: kept as SummaryProblem, detail: "renewal backing off" };
      return;
    }
    due.push(i);
  });
  if (due.length === 0) return results;
  const open = credentialOpener(opts.sealKeys ?? null);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  await mapWithConcurrency(due, opts.concurrency ?? 6, async (i) => {
    const row = rows[i]!;
    try {
      const password = await open(row);
      const renewed = await renewSession(
        opts.mtapiUrl,
        { token: row.sessionId, login: row.login, server: row.server, password },
        timeoutMs,
        opts.fetcher,
      );
      if (!renewed.ok) {
        await recordRenewFailed(db, row.id, renewed.problem === "credentials_rejected", now);
        log("session:renew_failed", {
          account_id: row.id,
          problem: renewed.problem,
          calls: renewed.calls,
          detail: renewed.detail,
        });
        results[i] = { ok: false, problem: renewed.problem, detail: renewed.detail };
        return;
      }
      const kept = await recordRenewed(
        db,
        opts.sealKeys ?? null,
        row.id,
        row.sessionId,
        renewed.token,
        renewed.via,
        "poller",
      );
      log("session:renewed", { account_id: row.id, via: renewed.via, calls: renewed.calls + 1 });
      if (!kept) {
        results[i] = { ok: false, problem: "session_expired", detail: "renewed token not taken" };
        return;
      }
      const again = await fetchAccountSummary(
        opts.mtapiUrl,
        renewed.token,
        timeoutMs,
        opts.fetcher,
      );
      results[i] = guardSummary(again, row.riskState?.balance);
    } catch (err) {
      // A database error on one account leaves its problem as it was read.
      log("session:renew_error", { account_id: row.id }, err);
    }
  });
  return results;
}

/** Live accounts renewed per cron run at most. */
const LIVE_RENEW_MAX = 100;

/**
 * The live accounts the monitor could not reconnect by token (`session_expired`, or still
 * `token_invalid`) and that have stored credentials: logged in again (`ConnectEx`, after one
 * more `ConnectByToken`), the new token recorded, and the monitor told to subscribe under it
 * before it releases the old (src/live/holdings.ts). Per-account backoff as for polled ones.
 * @returns how many were renewed.
 */
export async function renewLiveSessions(
  db: Db,
  opts: RenewOptions & { resubscribe: (rows: AccountRow[]) => Promise<void> },
): Promise<number> {
  const now = (opts.now ?? Date.now)();
  const stored = await db
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.status, "active"),
        eq(accounts.monitoringState, "live"),
        inArray(accounts.problem, ["session_expired", "token_invalid"]),
        isNotNull(accounts.credentialsSealed),
        or(isNull(accounts.credentialsStatus), ne(accounts.credentialsStatus, "rejected")),
        or(isNull(accounts.sessionRenewAfter), lte(accounts.sessionRenewAfter, new Date(now))),
      ),
    )
    .orderBy(asc(accounts.id))
    .limit(LIVE_RENEW_MAX);
  if (stored.length === 0) return 0;
  const rows = await openSessionRows(opts.sealKeys ?? null, stored);
  const open = credentialOpener(opts.sealKeys ?? null);
  const renewedRows: AccountRow[] = [];
  await mapWithConcurrency(rows, opts.concurrency ?? 6, async (row) => {
    try {
      const renewed = await renewSession(
        opts.mtapiUrl,
        { token: row.sessionId, login: row.login, server: row.server, password: await open(row) },
        opts.timeoutMs ?? 10_000,
        opts.fetcher,
      );
      if (!renewed.ok) {
        await recordRenewFailed(db, row.id, renewed.problem === "credentials_rejected", now);
        if (renewed.problem === "credentials_rejected")
          await markProblems(db, [{ accountId: row.id, problem: "credentials_rejected" }]);
        log("session:renew_failed", { account_id: row.id, problem: renewed.problem, live: true });
        return;
      }
      const keys = opts.sealKeys ?? null;
      if (
        await recordRenewed(db, keys, row.id, row.sessionId, renewed.token, renewed.via, "poller")
      )
        renewedRows.push({ ...row, sessionId: renewed.token });
      log("session:renewed", { account_id: row.id, via: renewed.via, live: true });
    } catch (err) {
      log("session:renew_error", { account_id: row.id, live: true }, err);
    }
  });
  if (renewedRows.length) await opts.resubscribe(renewedRows);
  return renewedRows.length;
}
