/**
 * Where an action's state lives between commands (docs/enforcement.md, "Persistence"): its row
 * in `enforcement_actions` (the core's state as `machine`) and one row per step. A runner first
 * claims the action's lease; every write is guarded by that lease, so a runner that lost it (a
 * second consumer, a resumed copy) writes nothing and therefore sends nothing.
 */
import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, enforcementActions, enforcementHalt, enforcementSteps } from "../db/schema.ts";
import { type ActionState, isFinished } from "../domain/enforcement/action.ts";
import { apiState } from "../domain/enforcement/evidence.ts";

/** ms a claim holds without a write (a runner that died frees the action after it). */
export const LEASE_MS = 30_000;

export interface ClaimedAction {
  id: number;
  accountId: number;
  machine: ActionState;
  floor: number | null;
  lock: boolean;
  rule: string | null;
}

/** Claims an unfinished action for `owner` if no live lease holds it; null otherwise. */
export async function claimAction(
  db: Db,
  id: number,
  owner: string,
): Promise<ClaimedAction | null> {
  const rows = await db.execute<{
    id: number;
    account_id: number;
    machine: ActionState;
    floor: number | null;
    lock: boolean;
    rule: string | null;
  }>(sql`
    update ${enforcementActions} e set lease_owner = ${owner},
      lease_until = now() + make_interval(secs => ${LEASE_MS / 1000}), updated_at = now()
    where e.id = ${id} and e.state in ('pending', 'running')
      and (e.lease_until is null or e.lease_until < now() or e.lease_owner = ${owner})
    returning e.id, e.account_id, e.machine, e.floor, e.lock, e.rule`);
  const r = rows.rows[0];
  if (!r) return null;
  return {
    id: Number(r.id),
    accountId: r.account_id,
    machine: r.machine,
    floor: r.floor,
    lock: r.lock,
    rule: r.rule,
  };
}

/**
 * Writes the state while `owner` holds the lease (and extends it); throws when it does not,
 * so that the command after it is never carried out.
 *
 * One statement, one round trip: the action's row and its steps are written together, the
 * steps only when the lease-guarded update matched (a data-modifying CTE sees the update's
 * `RETURNING`). Two statements before; the burst's time goes to round trips
 * (docs/benchmarks/2026-12-06-enforcement-burst-pm.md).
 *
 * `haltGuard`: the state was planned without a halt, so the same statement refuses it when the
 * halt is set (returns `"halted"`, writes nothing) or the action's account was deleted (returns
 * `"account deleted"`): the halt is checked as the state is kept, right before the command,
 * instead of by a read before it (docs/enforcement.md, "Exactly once", "Deleted accounts").
 */
export async function persistAction(
  db: Db,
  id: number,
  owner: string,
  state: ActionState,
  resumeAt: number | null,
  haltGuard = false,
): Promise<void | "halted" | "account deleted"> {
  const finished = isFinished(state);
  const steps = state.steps.map((s) => ({
    action_id: id,
    ticket: s.ticket,
    action: s.action,
    symbol: s.symbol,
    state: s.state,
    sends: s.sends,
    close_price: s.close_price,
    close_time: s.close_time,
    profit: s.profit,
    settled_by: s.settled_by,
    error: s.error,
    at: new Date(s.at).toISOString(),
  }));
  const finishedAt = finished ? new Date(state.finished_at ?? Date.now()).toISOString() : null;
  const deleted = sql`exists (select 1 from ${accounts} a where a.status = 'deleted'
      and a.id = (select x.account_id from ${enforcementActions} x where x.id = ${id}))`;
  const rows = await db.execute<{ written: number; halted: boolean; deleted: boolean }>(sql`
    with written as (
      update ${enforcementActions} set machine = ${JSON.stringify(state)}::jsonb,
        state = ${apiState(state)}, failure = ${state.failure},
        finished_at = ${finishedAt}::timestamptz,
        resume_at = ${new Date(resumeAt ?? Date.now()).toISOString()}::timestamptz,
        lease_until = ${finished ? null : sql`now() + make_interval(secs => ${LEASE_MS / 1000})`},
        lease_owner = ${finished ? null : owner}, updated_at = now()
      where id = ${id} and lease_owner = ${owner}${
        haltGuard
          ? sql` and not exists (select 1 from ${enforcementHalt} h where h.id = 1 and h.halted)
              and not ${deleted}`
          : sql``
      }
      returning id
    ), steps as (
      insert into ${enforcementSteps} (action_id, ticket, action, symbol, state, sends,
        close_price, close_time, profit, settled_by, error, at)
      select s.* from jsonb_to_recordset(${JSON.stringify(steps)}::jsonb) as s(action_id bigint,
        ticket bigint, action text, symbol text, state text, sends int, close_price float8,
        close_time text, profit float8, settled_by text, error text, at timestamptz)
      where exists (select 1 from written)
      on conflict (action_id, ticket) do update set state = excluded.state,
        sends = excluded.sends, close_price = excluded.close_price,
        close_time = excluded.close_time, profit = excluded.profit,
        settled_by = excluded.settled_by, error = excluded.error, at = excluded.at
    )
    select (select count(*) from written)::int as written,
      ${haltGuard ? sql`exists (select 1 from ${enforcementHalt} h where h.id = 1 and h.halted)` : sql`false`} as halted,
      ${haltGuard ? deleted : sql`false`} as deleted`);
  const r = rows.rows[0];
  if (Number(r?.written ?? 0) > 0) return;
  if (r?.deleted) return "account deleted";
  if (r?.halted) return "halted";
  throw new Error(`enforcement action ${id}: lease lost`);
}

/** Lets the action go (it waits for `resumeAt`); another runner may claim it from then. */
export async function releaseAction(
  db: Db,
  id: number,
  owner: string,
  resumeAt: number,
): Promise<void> {
  await db
    .update(enforcementActions)
    .set({ leaseOwner: null, leaseUntil: null, resumeAt: new Date(resumeAt) })
    .where(and(eq(enforcementActions.id, id), eq(enforcementActions.leaseOwner, owner)));
}

export interface HaltState {
  halted: boolean;
  reason: string | null;
  actor: string | null;
  at: Date | null;
}

export async function readHalt(db: Db): Promise<HaltState> {
  const rows = await db.select().from(enforcementHalt).where(eq(enforcementHalt.id, 1));
  const r = rows[0];
  return r
    ? { halted: r.halted, reason: r.reason, actor: r.actor, at: r.at }
    : { halted: false, reason: null, actor: null, at: null };
}

/** Whether an action is finished, and until when a lease holds it; null when it is gone. */
export async function actionStatus(
  db: Db,
  id: number,
): Promise<{ finished: boolean; leaseUntil: number | null } | null> {
  const [r] = await db
    .select({ state: enforcementActions.state, leaseUntil: enforcementActions.leaseUntil })
    .from(enforcementActions)
    .where(eq(enforcementActions.id, id));
  if (!r) return null;
  return {
    finished: r.state !== "pending" && r.state !== "running",
    leaseUntil: r.leaseUntil?.getTime() ?? null,
  };
}

/** Unfinished actions due to run (waits over, no live lease), oldest first. */
export async function dueActions(db: Db, limit = 100): Promise<number[]> {
  const rows = await db
    .select({ id: enforcementActions.id })
    .from(enforcementActions)
    .where(
      and(
        inArray(enforcementActions.state, ["pending", "running"]),
        lte(enforcementActions.resumeAt, new Date()),
        sql`(${enforcementActions.leaseUntil} is null or ${enforcementActions.leaseUntil} < now())`,
      ),
    )
    .orderBy(asc(enforcementActions.resumeAt))
    .limit(limit);
  return rows.map((r) => Number(r.id));
}

/** Sets or lifts the halt (an upsert: a missing row reads as not halted). */
export async function setHalt(
  db: Db,
  halted: boolean,
  reason: string | null,
  actor: string,
): Promise<HaltState> {
  const at = new Date();
  await db
    .insert(enforcementHalt)
    .values({ id: 1, halted, reason, actor, at })
    .onConflictDoUpdate({ target: enforcementHalt.id, set: { halted, reason, actor, at } });
  return { halted, reason, actor, at };
}
