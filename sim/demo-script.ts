/**
 * The demo of `npm run dev`: accounts whose paths are drawn to show live monitoring in the
 * first minutes, as a newcomer should see it (docs/demo.md).
 *
 * Paths are drawn in usage (% of the loss allowed before the binding floor, the figure the
 * monitor's live band is written in: enter at >= 97%, leave below 90%, docs/rules.md), so
 * they hold whatever the preset; `limitOf` turns usage into equity. Each scripted account
 * - approaches the band (or starts in it), then waits in it (97.5-99.5%) until the monitor
 *   subscribes to it on the Events connection: a poll saw it at >= 97% and put it live;
 * - stays live for a while (its `holdS`), wiggling inside the band;
 * - then plays its role: `breach` slides past its floor in seconds, so the breach is caught
 *   by an event while live; `recover` climbs back below the exit threshold, so it leaves
 *   live; `linger` stays live for minutes, then recovers too.
 * An account never leaves the band upwards before it is live: if the monitor never watches
 * it, it never breaches, rather than breaching by poll.
 *
 * Timings come from a fixed seed (the same show every start); the wiggle comes from the
 * simulator's seed, so no two runs look identical. Later demo features join `demoScenes()`
 * with a scene of their own.
 */
import type { SimAccount, SimAccountInput } from "./accounts.ts";
import { intBetween, mulberry32, normal, uniform, uuidLike, type Rng } from "./random.ts";
import type { ScriptTick, SimScript } from "./script.ts";

/** The live band of every preset (docs/rules.md, "Presets"). */
export const LIVE_ENTER_PCT = 97;
export const LIVE_EXIT_PCT = 90;
/** Where a waiting or live account wiggles: inside the band, clear of both edges. */
export const BAND_LOW = 97.5;
export const BAND_HIGH = 99.5;

export type DemoRole = "breach" | "recover" | "linger";

/** A drawn path, in usage % and seconds. */
export interface DemoPlan {
  role: DemoRole;
  /** Usage at the start. */
  startUsage: number;
  /** Seconds from the start to reach the band (0: in it from the start). */
  enterS: number;
  /** Usage it wiggles around in the band. */
  bandUsage: number;
  /** Seconds it stays live before its finale. */
  holdS: number;
  /** Seconds the finale takes. */
  moveS: number;
  /** Usage at the end of the finale (above 100 for `breach`, below the exit for the others). */
  endUsage: number;
}

/** A scripted account: what the simulator, the database seed and the narration need. */
export interface ScriptedAccount extends SimAccountInput {
  login: string;
  balance: number;
  /** Rule preset (a name of src/risk's presets). */
  preset: string;
  label: string;
  plan: DemoPlan;
}

/** One part of the demo: its accounts, the script that moves them, and what to tell the user. */
export interface DemoScene {
  name: string;
  accounts: ScriptedAccount[];
  /**
   * The script; `limitOf` answers an account's allowed loss (account currency) at 100% usage,
   * from the risk engine (dev/seed.ts).
   */
  script(limitOf: (a: ScriptedAccount) => number): SimScript;
  /** Lines for the console of `npm run dev`: what will happen in the next minutes. */
  narration(): string[];
}

/** Seed of the plans: the same show on every start. */
export const DEMO_SCRIPT_SEED = 29;

const SERVER = "Sim-Demo";
/** Presets whose floors stay put while equity moves within the day (simple, and common). */
const PRESETS = ["ftmo-2step", "fundednext-2step", "the5ers-highstakes", "ftmo-1step"];

/**
 * The cast: (role, group) pairs. Group `now` starts in the band (live at the first poll),
 * `soon` reaches it within ~1 min, `later` within ~2-3 min.
 */
const CAST: Array<{ role: DemoRole; group: "now" | "soon" | "later" }> = [
  { role: "breach", group: "now" },
  { role: "recover", group: "now" },
  { role: "linger", group: "now" },
  { role: "breach", group: "now" },
  { role: "recover", group: "soon" },
  { role: "breach", group: "soon" },
  { role: "linger", group: "soon" },
  { role: "breach", group: "later" },
  { role: "recover", group: "later" },
  { role: "linger", group: "later" },
];

function planOf(role: DemoRole, group: "now" | "soon" | "later", rng: Rng): DemoPlan {
  const enterS =
    group === "now" ? 0 : group === "soon" ? uniform(rng, 30, 60) : uniform(rng, 100, 160);
  const startUsage = group === "now" ? uniform(rng, 97.8, 99) : uniform(rng, 60, 85);
  const bandUsage = uniform(rng, 98, 99);
  switch (role) {
    case "breach":
      return {
        role,
        startUsage,
        enterS,
        bandUsage,
        holdS: uniform(rng, 20, 45),
        moveS: uniform(rng, 8, 15),
        endUsage: uniform(rng, 103, 108),
      };
    case "recover":
      return {
        role,
        startUsage,
        enterS,
        bandUsage,
        holdS: uniform(rng, 25, 50),
        moveS: uniform(rng, 15, 30),
        endUsage: uniform(rng, 70, 85),
      };
    case "linger":
      return {
        role,
        startUsage,
        enterS,
        bandUsage,
        holdS: uniform(rng, 200, 320),
        moveS: uniform(rng, 40, 80),
        endUsage: uniform(rng, 70, 85),
      };
  }
}

/** The scripted accounts, the same for the same seed; `firstNumber` numbers their labels. */
export function scriptedAccounts(seed = DEMO_SCRIPT_SEED, firstNumber = 1): ScriptedAccount[] {
  const rng = mulberry32(seed);
  return CAST.map(({ role, group }, i) => {
    const preset = PRESETS[i % PRESETS.length]!;
    const plan = planOf(role, group, rng);
    return {
      session_id: uuidLike(rng),
      // 7xxxxxxx: apart from the random walkers' logins (sim/demo.ts draws 10-99 million).
      login: String(intBetween(rng, 70_000_000, 79_999_999)),
      server: SERVER,
      balance: 100_000,
      preset,
      label: `Demo #${firstNumber + i} (${preset}, ${role})`,
      walk: false,
      plan,
    };
  });
}

/** Where a plan is at a moment: its phase and target usage (before the wiggle). */
export type DemoPhase = "approach" | "waiting" | "live" | "finale" | "done";

/** The per-account progress of a script (exported for tests). */
export interface PathState {
  phase: DemoPhase;
  /** Seconds since the start when the monitor was first seen subscribed. */
  liveAtS: number | null;
  /** Seconds since the start when the finale began. */
  finaleAtS: number | null;
  /** Smooth wiggle, usage points (an AR(1) process). */
  wiggle: number;
}

export function initialPathState(): PathState {
  return { phase: "approach", liveAtS: null, finaleAtS: null, wiggle: 0 };
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * Math.min(1, Math.max(0, t));

/**
 * One step of a path at `t` seconds since the start: the next state and the usage to show.
 * Pure: `noise` is one N(0,1) draw. Before the account is live its usage stays below
 * {@link BAND_HIGH}; while waiting and live it stays within [BAND_LOW, BAND_HIGH].
 */
export function pathStep(
  plan: DemoPlan,
  prev: PathState,
  t: number,
  subscribed: boolean,
  noise: number,
): { state: PathState; usage: number } {
  const s: PathState = { ...prev, wiggle: 0.9 * prev.wiggle + 0.12 * noise };
  if (s.phase === "approach" && t >= plan.enterS) s.phase = "waiting";
  if (s.phase === "waiting" && subscribed) {
    s.phase = "live";
    s.liveAtS = t;
  }
  if (s.phase === "live" && t - (s.liveAtS ?? t) >= plan.holdS) {
    s.phase = "finale";
    s.finaleAtS = t;
  }
  if (s.phase === "finale" && t - (s.finaleAtS ?? t) >= plan.moveS) s.phase = "done";
  let usage: number;
  switch (s.phase) {
    case "approach":
      usage = Math.min(
        BAND_HIGH,
        lerp(plan.startUsage, plan.bandUsage, plan.enterS > 0 ? t / plan.enterS : 1) + s.wiggle,
      );
      break;
    case "waiting":
    case "live":
      usage = Math.min(BAND_HIGH, Math.max(BAND_LOW, plan.bandUsage + s.wiggle));
      break;
    case "finale":
      usage = lerp(plan.bandUsage, plan.endUsage, (t - (s.finaleAtS ?? t)) / plan.moveS) + s.wiggle;
      break;
    case "done":
      usage = plan.endUsage + (plan.role === "breach" ? 0 : 4 * s.wiggle);
      break;
  }
  return { state: s, usage };
}

/** Equity at `usage` for an account whose allowed loss is `limit` (balance fixed). */
export function equityAt(balance: number, limit: number, usage: number): number {
  return Math.round((balance - (limit * usage) / 100) * 100) / 100;
}

/** The live-monitoring scene's script over `accounts`. */
export function liveScript(
  accounts: ScriptedAccount[],
  limitOf: (a: ScriptedAccount) => number,
): SimScript {
  const paths = new Map(accounts.map((a) => [a.session_id, initialPathState()]));
  const limits = new Map(accounts.map((a) => [a.session_id, limitOf(a)]));
  return {
    name: "demo: live monitoring",
    step(tick: ScriptTick): SimAccount[] {
      const moved: SimAccount[] = [];
      const t = tick.elapsedMs / 1000;
      for (const a of accounts) {
        const held = tick.book.get(a.session_id);
        const prev = paths.get(a.session_id);
        if (!held || !prev) continue;
        const { state, usage } = pathStep(
          a.plan,
          prev,
          t,
          tick.subscribed(a.session_id),
          normal(tick.rng),
        );
        paths.set(a.session_id, state);
        held.equity = equityAt(held.balance, limits.get(a.session_id)!, usage);
        held.moves += 1;
        held.updated_at = tick.now;
        moved.push(held);
      }
      return moved;
    },
  };
}

const roleLine: Record<DemoRole, string> = {
  breach: "breaches while live: the event that crosses its floor records it within a second",
  recover: "recovers below 90% and leaves live monitoring",
  linger: "stays live for minutes, then recovers",
};

/** The live-monitoring scene (accounts labelled from `firstNumber`). */
export function liveScene(firstNumber = 1): DemoScene {
  const accounts = scriptedAccounts(DEMO_SCRIPT_SEED, firstNumber);
  return {
    name: "live monitoring",
    accounts,
    script: (limitOf) => liveScript(accounts, limitOf),
    narration: () => {
      const group = (pred: (p: DemoPlan) => boolean) =>
        accounts.filter((a) => pred(a.plan)).map((a) => a.label.replace(/ \(.*/, ""));
      const byRole = (role: DemoRole) => group((p) => p.role === role).join(", ");
      return [
        `${group((p) => p.enterS === 0).join(", ")} start at 98-99% usage: live at the first poll (Monitor: Events link open, subscriptions)`,
        `${group((p) => p.enterS > 0 && p.enterS < 90).join(", ")} drift into the band within ~1 min, ${group((p) => p.enterS >= 90).join(", ")} within ~2-3 min: each goes live at the next poll`,
        `${byRole("breach")}: each ${roleLine.breach} (Violations: source event)`,
        `${byRole("recover")}: each ${roleLine.recover}`,
        `${byRole("linger")}: each ${roleLine.linger}`,
      ];
    },
  };
}

/**
 * Every scene of the demo, their accounts labelled `Demo #firstNumber` onwards. A later
 * feature adds its scene here: a constructor taking the number of its first label.
 */
export function demoScenes(firstNumber = 1): DemoScene[] {
  const makers: Array<(first: number) => DemoScene> = [liveScene, enforcementScene];
  const scenes: DemoScene[] = [];
  let next = firstNumber;
  for (const make of makers) {
    const scene = make(next);
    scenes.push(scene);
    next += scene.accounts.length;
  }
  return scenes;
}

/**
 * The enforcement scene's account (docs/enforcement.md, "Demo"): live at the first poll, it
 * breaches by an event ~20 s after it goes live; its enforcement is `on` (dev/enforcement-demo.ts),
 * so the breach closes its two positions and cancels its pending order, and a position opened
 * while it is locked is closed at once.
 */
export const ENFORCEMENT_DEMO = {
  session_id: "demo-enforce-session-0001",
  login: "80018001",
  server: SERVER,
  balance: 100_000,
  preset: "ftmo-2step",
};

/** The enforcement scene (one account, labelled `Demo #firstNumber`). */
export function enforcementScene(firstNumber = 1): DemoScene {
  const account: ScriptedAccount = {
    ...ENFORCEMENT_DEMO,
    label: `Demo #${firstNumber} (${ENFORCEMENT_DEMO.preset}, enforced)`,
    walk: false,
    plan: {
      role: "breach",
      startUsage: 98.4,
      enterS: 0,
      bandUsage: 98.5,
      holdS: 15,
      moveS: 6,
      endUsage: 106,
    },
  };
  const name = `Demo #${firstNumber}`;
  return {
    name: "enforcement",
    accounts: [account],
    script: (limitOf) => ({ ...liveScript([account], limitOf), name: "demo: enforcement" }),
    narration: () => [
      `${name} has enforcement on (close all and lock): ~20 s after it goes live it breaches by an event, and its monitor shard closes its two positions and cancels its pending order, each once (Account > Enforcement)`,
      `${name}: a position opened a few seconds after, while it is locked, is closed at once from its order event`,
    ],
  };
}
