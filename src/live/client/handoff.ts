/**
 * Hand-offs between the poller / the API and the live monitor. Postgres is the record of
 * which accounts are live: callers write the state first, then tell the monitor. If the
 * monitor cannot be told (an RPC failure), the next minute's reconciliation repairs it.
 */
import { and, eq } from "drizzle-orm";
import type { AccountChange } from "../../accounts/outcome.ts";
import { withDb } from "../../db/client.ts";
import { accounts, type AccountRow } from "../../db/schema.ts";
import { log } from "../../log.ts";
import type { RiskState } from "../../risk/index.ts";
import type { SubscribeInput } from "../core/subscriptions.ts";
import { allMonitors, monitorFor } from "./address.ts";

/** The subscription of an account row (with a risk state newer than the row's, if given). */
export function toSubscribeInput(row: AccountRow, riskState?: RiskState | null): SubscribeInput {
  return {
    account_id: row.id,
    login: row.login,
    server: row.server,
    session_id: row.sessionId,
    rules: row.rules,
    rules_version: row.rulesVersion,
    risk_state: riskState ?? row.riskState ?? null,
  };
}

/** Subscribes accounts on their monitors; failures are logged and left to reconciliation. */
export async function subscribeLive(env: Env, inputs: SubscribeInput[]): Promise<boolean> {
  if (inputs.length === 0) return true;
  try {
    await monitorFor(env).subscribe(inputs);
    return true;
  } catch (err) {
    log("monitor:subscribe_failed", { accounts: inputs.length }, err);
    return false;
  }
}

/**
 * The hand-off of a poll: subscribes the accounts that entered live monitoring, with the
 * risk state their reading left (newer than their rows').
 */
export function subscribeEntered(
  env: Env,
): (rows: AccountRow[], changes: AccountChange[]) => Promise<void> {
  return async (rows, changes) => {
    await subscribeLive(
      env,
      rows.map((r, i) => toSubscribeInput(r, changes[i]!.riskState)),
    );
  };
}

/** Unsubscribes accounts from their monitors; failures are logged and left to reconciliation. */
export async function unsubscribeLive(
  env: Env,
  accountIds: number[],
  reason: string,
): Promise<boolean> {
  if (accountIds.length === 0) return true;
  try {
    await monitorFor(env).unsubscribe(accountIds, reason);
    return true;
  } catch (err) {
    log("monitor:unsubscribe_failed", { accounts: accountIds.length }, err);
    return false;
  }
}

/**
 * The cron's minute for the live side: wake every monitor, and make its subscriptions match
 * the accounts Postgres marks live (the seed's own test sets `monitoring_state = 'live'` in
 * SQL and expects the subscriptions to follow).
 */
export async function reconcileLive(
  env: Env,
  now: () => number = Date.now,
): Promise<{ added: number; removed: number }> {
  const snapshotAt = now();
  const rows = await withDb(env, (db) =>
    db
      .select()
      .from(accounts)
      .where(and(eq(accounts.status, "active"), eq(accounts.monitoringState, "live"))),
  );
  let added = 0;
  let removed = 0;
  for (const monitor of allMonitors(env)) {
    const result = await monitor.reconcile(
      snapshotAt,
      rows.map((r) => toSubscribeInput(r)),
    );
    await monitor.ensureRunning();
    added += result.added;
    removed += result.removed;
  }
  return { added, removed };
}
