/**
 * The watchdog's choices, pure: which live accounts have gone quiet and must be re-read over
 * REST (a quiet link is not a dead link, and no account may go unwatched), oldest first.
 */
import type { Subscription } from "./subscriptions.ts";

/** When the account was last heard of, by event or by REST (epoch ms). */
function lastHeard(s: Subscription): number {
  return Math.max(s.lastEventAt, s.lastRestAt);
}

/** Up to `max` subscriptions not heard of for `staleMs`, the longest-quiet first. */
export function quietSubscriptions(
  subs: Iterable<Subscription>,
  now: number,
  staleMs: number,
  max: number,
): Subscription[] {
  const quiet: Subscription[] = [];
  for (const s of subs) if (lastHeard(s) <= now - staleMs) quiet.push(s);
  quiet.sort((a, b) => lastHeard(a) - lastHeard(b));
  return quiet.slice(0, max);
}
