/**
 * Keeping a locked account flat (docs/enforcement.md, "Lock"): on each pass, every account
 * under a `close_all_and_lock` lock whose enforcement is `on` has its `OpenedOrders` read; a
 * position or order found open starts a `lock_guard` action that closes it (at most one open
 * guard per account, by a unique key). A lock past its `locked_until` (a daily lock at the
 * next trading day) is lifted; any other lock ends with an operator's reset
 * (src/accounts/state-change.ts).
 *
 * No guard starts while another action on the account is unfinished (the breach's own
 * `close_all` waiting for the market, or interrupted and not yet resumed): it holds the plan
 * for those tickets, and a second sender would close them twice. Nor within
 * `GUARD_AFTER_FAILURE_MS` of an action on the account that failed (an investor session, a
 * session that cannot be renewed): it was alerted with its reason, and a guard every pass
 * would fail and alert again each minute.
 */
import { and, isNotNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, enforcementActions } from "../db/schema.ts";
import { newAction } from "../domain/enforcement/action.ts";
import { effectiveMode } from "../domain/enforcement/policy.ts";
import { readOpenedOrders } from "../mtapi/trading.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { log } from "../util/log.ts";
import { recordAlerts, sendAlerts } from "../alerts/record.ts";
import { readHalt } from "./store.ts";
import { openSessionInWorker } from "../secrets/session.ts";

/** After an action on the account failed, no guard starts for this long (ms). */
export const GUARD_AFTER_FAILURE_MS = 15 * 60_000;

/** Lifts expired locks, then starts a guard for each locked account found not flat; their ids. */
export async function guardLocks(
  db: Db,
  opts: { mtapiUrl: string; deployment: unknown; fetcher?: typeof fetch },
): Promise<number[]> {
  const lifted = await db
    .update(accounts)
    .set({ lockedAt: null, lockedUntil: null, lockRule: null, updatedAt: new Date() })
    .where(and(isNotNull(accounts.lockedUntil), sql`${accounts.lockedUntil} <= now()`))
    .returning({ id: accounts.id });
  for (const a of lifted) log("enforcement:unlocked", { account_id: a.id });
  if (lifted.length > 0) {
    await sendAlerts(
      await recordAlerts(
        db,
        lifted.map((a) => ({
          type: "account.unlocked" as const,
          data: { account_id: a.id, reason: "lock expired (next trading day)" },
        })),
      ),
    );
  }
  const halt = await readHalt(db);
  const locked = await db
    .select({ id: accounts.id, sessionId: accounts.sessionId, enforcement: accounts.enforcement })
    .from(accounts)
    .where(
      and(
        isNotNull(accounts.lockedAt),
        sql`not exists (select 1 from ${enforcementActions} e where e.account_id = ${accounts.id}
          and (e.state in ('pending', 'running') or (e.state = 'failed'
            and e.finished_at > now() - make_interval(secs => ${GUARD_AFTER_FAILURE_MS / 1000}))))`,
      ),
    );
  const acting = locked.filter(
    (a) =>
      effectiveMode({
        deployment: opts.deployment,
        account: a.enforcement,
        halted: halt.halted,
      }) === "on",
  );
  const created: number[] = [];
  await mapWithConcurrency(acting, 6, async (a) => {
    const open = await readOpenedOrders({
      mtapiUrl: opts.mtapiUrl,
      // Sealed at rest (docs/security.md); one that cannot be opened reads as unreadable.
      sessionId: await openSessionInWorker(a.sessionId).catch(() => ""),
      fetcher: opts.fetcher,
    });
    // Unreadable: tried again on the next pass (nothing is decided on a failed read).
    if (!open.ok || open.orders.length === 0) return;
    const rows = await db
      .insert(enforcementActions)
      .values({
        accountId: a.id,
        kind: "lock_guard",
        dryRun: false,
        lock: true,
        machine: newAction("lock_guard", false, Date.now()),
      })
      .onConflictDoNothing()
      .returning({ id: enforcementActions.id });
    for (const r of rows) {
      created.push(r.id);
      log("enforcement:lock_guard", {
        action_id: r.id,
        account_id: a.id,
        open: open.orders.length,
      });
    }
  });
  return created;
}
