/**
 * Reconciliation, pure: what to subscribe and what to drop so that the monitor matches the
 * accounts Postgres marks live, as read at `snapshotAt`, without undoing a change newer than
 * that snapshot. An account subscribed after it stays; one the monitor let go after it (a
 * tombstone), or whose change still waits in the outbox, is not taken back.
 */
import type { SubscribeInput, Subscription } from "./subscriptions.ts";

export interface ReconcilePlan {
  toAdd: SubscribeInput[];
  toRemove: number[];
}

/**
 * @param snapshotAt epoch ms Postgres was read.
 * @param tombstones epoch ms each recently released account was let go.
 * @param pending accounts with a change waiting in the outbox.
 */
export function reconcilePlan(
  held: Iterable<Subscription>,
  isHeld: (accountId: number) => boolean,
  live: readonly SubscribeInput[],
  snapshotAt: number,
  tombstones: ReadonlyMap<number, number>,
  pending: ReadonlySet<number>,
): ReconcilePlan {
  const wanted = new Set(live.map((a) => a.account_id));
  const toAdd = live.filter(
    (a) =>
      !isHeld(a.account_id) &&
      !pending.has(a.account_id) &&
      (tombstones.get(a.account_id) ?? -1) < snapshotAt,
  );
  const toRemove: number[] = [];
  for (const s of held)
    if (!wanted.has(s.accountId) && s.subscribedAt < snapshotAt) toRemove.push(s.accountId);
  return { toAdd, toRemove };
}
