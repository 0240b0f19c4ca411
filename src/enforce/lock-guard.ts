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
import { and, eq, isNotNull, ne, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, enforcementActions } from "../db/schema.ts";
import { newAction } from "../domain/enforcement/action.ts";
import { effectiveMode } from "../domain/enforcement/policy.ts";
import { fetchOpenedOrders } from "../mtapi/orders.ts";
import { openOrdersOf } from "../domain/enforcement/opened.ts";
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
    // An account with an action still unfinished is left to it: two actions never act on
    // the same tickets at once (the guard comes on a later pass if still not flat).
    .where(
      and(
        isNotNull(accounts.lockedAt),
        // A deleted account is never acted on again (docs/enforcement.md, "Deleted accounts").
        ne(accounts.status, "deleted"),
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
    // Sealed at rest (docs/security.md); one that cannot be opened reads as unreadable.
    const sessionId = await openSessionInWorker(a.sessionId).catch(() => "");
    const read = await fetchOpenedOrders(opts.mtapiUrl, sessionId, 10_000, opts.fetcher);
    // Unreadable (or an entry without a ticket): tried again on the next pass; nothing is
    // decided on a failed read.
    const orders = read.ok ? openOrdersOf(read.orders) : null;
    if (orders === null || orders.length === 0) return;
    const id = await insertGuard(db, a.id);
    if (id !== null) {
      created.push(id);
      log("enforcement:lock_guard", { action_id: id, account_id: a.id, open: orders.length });
    }
  });
  return created;
}

/**
 * Inserts a guard for a locked account, unless one is open already (the unique key) or another
 * action of the account is unfinished (checked in the same statement): its id, or null.
 */
async function insertGuard(db: Db, accountId: number): Promise<number | null> {
  const machine = JSON.stringify(newAction("lock_guard", false, Date.now()));
  const rows = await db.execute<{ id: number }>(sql`
    insert into ${enforcementActions} (account_id, kind, dry_run, lock, machine)
    select ${accountId}, 'lock_guard', false, true, ${machine}::jsonb
    where exists (select 1 from ${accounts} a where a.id = ${accountId} and a.locked_at is not null
        and a.status <> 'deleted')
      and not exists (select 1 from ${enforcementActions} e where e.account_id = ${accountId}
        and e.state in ('pending', 'running'))
    on conflict do nothing
    returning id`);
  const r = rows.rows[0];
  return r ? Number(r.id) : null;
}

/** Why a guard was not started from an order event: the shard acts on each differently. */
export type GuardStart =
  | { started: number }
  /** Another action of the account is unfinished: look again once it is. */
  | { busy: true }
  /** The account is no longer locked (or deleted): stop watching it. */
  | { unlocked: true }
  /** Locked, but enforcement is not `on` for it now (off, a dry run, a halt). */
  | { off: true }
  /** A fresh `OpenedOrders` read found it flat (or could not be read: the cron's pass retries). */
  | { flat: true };

/**
 * A locked account's order event showed it not flat (docs/enforcement.md, "Lock"): starts its
 * guard at once when its effective mode is `on`. The guard plans from its own `OpenedOrders`
 * read (an event that is already stale plans nothing).
 */
export async function guardFromEvent(
  db: Db,
  accountId: number,
  deployment: unknown,
  /** Given: an `OpenedOrders` read first, nothing started when it is flat (a stale event). */
  recheck?: { mtapiUrl: string; sessionId: string; fetcher?: typeof fetch },
): Promise<GuardStart> {
  const [a] = await db
    .select({
      lockedAt: accounts.lockedAt,
      enforcement: accounts.enforcement,
      status: accounts.status,
    })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  // A deleted account is as good as unlocked: the shard stops watching it.
  if (!a || a.lockedAt === null || a.status === "deleted") return { unlocked: true };
  const halt = await readHalt(db);
  if (effectiveMode({ deployment, account: a.enforcement, halted: halt.halted }) !== "on")
    return { off: true };
  if (recheck) {
    const read = await fetchOpenedOrders(
      recheck.mtapiUrl,
      recheck.sessionId,
      10_000,
      recheck.fetcher,
    );
    const orders = read.ok ? openOrdersOf(read.orders) : null;
    if (orders === null || orders.length === 0) return { flat: true };
  }
  const id = await insertGuard(db, accountId);
  if (id === null) return { busy: true };
  log("enforcement:lock_guard", { action_id: id, account_id: accountId, from: "event" });
  return { started: id };
}
