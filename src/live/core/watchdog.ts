/**
 * The watchdog's choices, pure: which live accounts have gone quiet and must be re-read over
 * REST (a quiet link is not a dead link, and no account may go unwatched), oldest first; and
 * which trading days have ended and roll over.
 */
import { rollover } from "../../risk/index.ts";
import type { Subscription } from "./subscriptions.ts";

/** A live account with no event or REST read for this long is re-read over REST (ms). */
export const STALE_MS = 60_000;
/** Most REST re-reads per heartbeat (subrequest and connection limits). */
export const MAX_REREADS = 200;

/** When the account was last heard of, by event or by REST (epoch ms). */
function lastHeard(s: Subscription): number {
  return Math.max(s.lastEventAt, s.lastRestAt);
}

/** Up to `max` subscriptions not heard of for `staleMs`, the longest-quiet first. */
export function quietSubscriptions(
  subs: Iterable<Subscription>,
  now: number,
  staleMs: number,
  max = MAX_REREADS,
): Subscription[] {
  const quiet: Subscription[] = [];
  for (const s of subs) if (lastHeard(s) <= now - staleMs) quiet.push(s);
  quiet.sort((a, b) => lastHeard(a) - lastHeard(b));
  return quiet.slice(0, max);
}

/**
 * Rolls over the trading day of every subscription whose day ended by `now` (epoch ms) and
 * marks it unheard of, so the watchdog reads it fresh at the boundary (docs/rules.md "Day
 * boundary"). Returns the rolled subscriptions (the caller persists their state) and those
 * whose rules could not be evaluated (one broken account never stops the others).
 */
export function rollDays(
  subs: Iterable<Subscription>,
  now: number,
): { rolled: Subscription[]; broken: Subscription[] } {
  const rolled: Subscription[] = [];
  const broken: Subscription[] = [];
  for (const sub of subs) {
    if (!sub.risk || now < sub.risk.day_end_ms) continue;
    try {
      sub.risk = rollover(sub.rules, sub.risk, now);
    } catch {
      broken.push(sub);
      continue;
    }
    sub.lastRestAt = 0;
    sub.lastEventAt = 0;
    rolled.push(sub);
  }
  return { rolled, broken };
}

/** The quiet accounts of one heartbeat: those it re-reads itself, and those handed to the Queue. */
export interface RereadPlan {
  inline: Subscription[];
  handOff: Subscription[];
}

/**
 * Splits the quiet accounts (longest quiet first): up to `max` are re-read by this heartbeat;
 * the rest go to the poll Queue (docs/wire-contract.md, "Connection behaviour": every quiet account re-read within 30 s,
 * however many), except those handed off less than `staleMs` ago and not heard of since
 * (`handedAt`: account id -> epoch ms), which the Queue has in hand already.
 */
export function planRereads(
  quiet: readonly Subscription[],
  handedAt: ReadonlyMap<number, number>,
  now: number,
  staleMs: number,
  max = MAX_REREADS,
): RereadPlan {
  const inline = quiet.slice(0, max);
  const handOff = quiet.slice(max).filter((s) => {
    const at = handedAt.get(s.accountId);
    return at === undefined || at <= now - staleMs || lastHeard(s) > at;
  });
  return { inline, handOff };
}
