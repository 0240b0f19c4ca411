/**
 * What `npm run dev` prints once the stack is up: where to look in the console and what the
 * demo's scenes will do in the next minutes (docs/demo.md).
 */
import type { DemoScene } from "../sim/demo-script.ts";

/** The first line of the note (tests look for it). */
export const NARRATION_TITLE = "[demo] What to watch";

/** The note, one console line each. */
export function narrate(base: string, scenes: DemoScene[]): string[] {
  const lines = [
    `${NARRATION_TITLE} (open ${base}/ and sign in with the admin token above):`,
    `[demo]   At risk (${base}/#/): accounts by usage; the scripted ones sit at 97-99%, marked live once the monitor watches them`,
    `[demo]   Monitor (${base}/#/monitor): the Events link turns open and its subscriptions count the live accounts`,
    `[demo]   Violations (${base}/#/violations): each breach with its source, event or poll`,
    `[demo] In the next minutes (a poll every minute puts an account at >= 97% usage live; below 90% it leaves):`,
  ];
  for (const scene of scenes) {
    for (const line of scene.narration()) lines.push(`[demo]   ${line}`);
  }
  return lines;
}
