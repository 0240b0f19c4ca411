/**
 * Scripts: code that moves some of the simulator's accounts along drawn paths instead of the
 * random walk (the demo of `npm run dev` is one, sim/demo-script.ts). A script owns its
 * accounts (added with `walk: false`, so the walk leaves them alone) and moves them on the
 * walk's ticks; the simulator publishes what a script moved like what the walk moved.
 */
import type { AccountBook, SimAccount } from "./accounts.ts";
import type { Rng } from "./random.ts";

/** What a script sees on one tick. */
export interface ScriptTick {
  /** Epoch ms of the tick. */
  now: number;
  /** ms since the script started playing. */
  elapsedMs: number;
  book: AccountBook;
  /** Whether an open Events connection has the session subscribed (the monitor watches it live). */
  subscribed(sessionId: string): boolean;
  /** The walk's seeded randomness. */
  rng: Rng;
}

export interface SimScript {
  /** Shown in logs. */
  readonly name: string;
  /** Moves the script's accounts one tick; answers the accounts whose figures it changed. */
  step(tick: ScriptTick): SimAccount[];
}
