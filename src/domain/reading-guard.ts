/**
 * Which MTAPI figures are not a reading (docs/mtapi-bridge.md, "Unsynced answers"): an answer
 * marked `synced: false` (right after a (re)connect, at times while the market is closed), or
 * balance and equity both exactly 0 on an account whose last known balance was not 0. Such
 * figures move no floor, high-water mark, day start or usage, raise no warning and no breach:
 * the account shows the problem `unsynced` until a synced answer comes. Pure; shared by the
 * poller, the live monitor's REST re-read and its event path.
 */

/** Figures as any source gives them; `balance` may be absent on an event. */
export interface GuardedFigures {
  equity: number;
  balance?: number | undefined;
  synced?: boolean | undefined;
}

/**
 * Why the figures are not a reading, or null when they are one.
 * @param lastBalance the account's last known balance (its engine state's), undefined when never read.
 */
export function unsyncedReason(
  figures: GuardedFigures,
  lastBalance: number | undefined,
): string | null {
  if (figures.synced === false) return "synced: false";
  const zeros = figures.equity === 0 && (figures.balance === undefined || figures.balance === 0);
  if (zeros && lastBalance !== undefined && lastBalance !== 0)
    return `balance and equity 0 where the last balance was ${lastBalance}`;
  return null;
}
