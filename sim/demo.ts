/**
 * Demo accounts for `npm run dev`: mostly calm, some drifting down towards typical prop
 * loss limits (5% daily, 10% overall) within minutes at one tick a second, a few plunging.
 */
import type { SimAccountInput } from "./accounts.ts";
import { intBetween, mulberry32, uniform, uuidLike, type Rng } from "./random.ts";

/**
 * How an account behaves under the walk (per tick of 1 s):
 * - `calm`: no drift, small noise; stays within ±2% for a long time.
 * - `drifting`: starts 1-4% down, loses ~0.01-0.03% a tick: past 5% in 1-7 minutes,
 *   past 10% in roughly 3-15 minutes.
 * - `plunging`: starts 5-8% down, loses ~0.06-0.12% a tick: past 10% within 20-90 s.
 */
export type DemoProfile = "calm" | "drifting" | "plunging";

export interface DemoAccount extends SimAccountInput {
  login: string;
  equity: number;
  profile: DemoProfile;
}

export interface DemoOptions {
  /** Server name of every account. Default "Sim-Demo". */
  server?: string;
  /** When given, accounts get `account_id` firstAccountId, firstAccountId + 1, ... */
  firstAccountId?: number;
}

/** Sizes in account currency; most accounts are 100k. */
const SIZES = [100_000, 100_000, 100_000, 100_000, 50_000, 25_000, 200_000, 10_000];

/** Profile of the i-th account: 5 calm, 2 drifting, 1 plunging in every 8. */
function profileAt(i: number): DemoProfile {
  const k = i % 8;
  return k === 7 ? "plunging" : k >= 5 ? "drifting" : "calm";
}

function walkOf(
  profile: DemoProfile,
  rng: Rng,
): { lossPct: number; drift: number; volatility: number } {
  switch (profile) {
    case "calm":
      return { lossPct: uniform(rng, -1, 1), drift: 0, volatility: uniform(rng, 0.0001, 0.0004) };
    case "drifting":
      return {
        lossPct: uniform(rng, 1, 4),
        drift: -uniform(rng, 0.0001, 0.0003),
        volatility: uniform(rng, 0.0002, 0.0005),
      };
    case "plunging":
      return {
        lossPct: uniform(rng, 5, 8),
        drift: -uniform(rng, 0.0006, 0.0012),
        volatility: uniform(rng, 0.0003, 0.0008),
      };
  }
}

/**
 * `n` demo account definitions, the same for the same `seed`: uuid-like session ids,
 * 8-digit logins (strings), balances of 10k-200k with equity already somewhat down for the
 * drifting and plunging ones.
 */
export function demoAccounts(n: number, seed = 1, opts: DemoOptions = {}): DemoAccount[] {
  const rng = mulberry32(seed);
  const server = opts.server ?? "Sim-Demo";
  const logins = new Set<string>();
  const out: DemoAccount[] = [];
  for (let i = 0; i < n; i++) {
    const profile = profileAt(i);
    const balance = SIZES[intBetween(rng, 0, SIZES.length - 1)] ?? 100_000;
    const { lossPct, drift, volatility } = walkOf(profile, rng);
    let login = String(intBetween(rng, 10_000_000, 99_999_999));
    while (logins.has(login)) login = String(intBetween(rng, 10_000_000, 99_999_999));
    logins.add(login);
    out.push({
      session_id: uuidLike(rng),
      login,
      server,
      balance,
      equity: Math.round(balance * (1 - lossPct / 100) * 100) / 100,
      account_id: opts.firstAccountId === undefined ? null : opts.firstAccountId + i,
      drift,
      volatility,
      walk: true,
      profile,
    });
  }
  return out;
}
