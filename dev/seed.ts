/**
 * Demo data for `npm run dev` with the bundled simulator (docs/demo.md): calm accounts on
 * mixed presets that random-walk, and the scripted accounts of the demo's scenes
 * (sim/demo-script.ts) whose drawn paths show live monitoring in the first minutes.
 */
import { eq, inArray } from "drizzle-orm";
import { withDb, type DbConfig } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import type { SealKeys } from "../src/secrets/seal.ts";
import { openSessionRows, storedSession } from "../src/secrets/session.ts";
import {
  evaluate,
  isPresetName,
  resolveRules,
  type PresetName,
  type RuleParams,
} from "../src/risk/index.ts";
import type { SimAccountInput } from "../sim/accounts.ts";
import { demoAccounts, type DemoAccount } from "../sim/demo.ts";
import { demoScenes, equityAt, type DemoScene, type ScriptedAccount } from "../sim/demo-script.ts";
import type { Simulator } from "../sim/simulator.ts";

/** Random walkers drawn, and the seed that makes them the same on every run; the calm ones are kept. */
const WALKERS_DRAWN = 22;
const DEMO_SEED = 7;

const PRESET_MIX: PresetName[] = [
  "ftmo-2step",
  "ftmo-1step",
  "the5ers-highstakes",
  "fundednext-2step",
  "topstep-style",
];

/** The calm random walkers of the demo (the same on every run). */
export function calmAccounts(): DemoAccount[] {
  return demoAccounts(WALKERS_DRAWN, DEMO_SEED).filter((a) => a.profile === "calm");
}

/** The demo's scenes, labelled after the calm accounts. */
export function scenes(): DemoScene[] {
  return demoScenes(calmAccounts().length + 1);
}

/** Every scripted account of every scene. */
export function scriptedDemoAccounts(): ScriptedAccount[] {
  return scenes().flatMap((s) => s.accounts);
}

function rulesOf(preset: string, balance: number): RuleParams {
  if (!isPresetName(preset)) throw new Error(`demo preset ${preset} is not a preset`);
  const resolved = resolveRules({ preset, initial_balance: balance });
  if (!resolved.ok) throw new Error(`demo rules: ${JSON.stringify(resolved.issues)}`);
  return resolved.rules;
}

/**
 * The loss (account currency) below the balance at which the rules' overall usage is 100%,
 * from the risk engine on a fresh account (usage is linear in equity while the floors stay).
 */
export function usageLimit(rules: RuleParams, balance: number): number {
  const probe = balance * 0.01;
  const e = evaluate(rules, null, {
    equity: balance - probe,
    balance,
    at: Date.now(),
    source: "poll",
  });
  if (!e.applied || !(e.usage.overall > 0)) throw new Error("demo: no usage from the rules");
  return (probe * 100) / e.usage.overall;
}

/** `usageLimit` of a scripted account, from its preset. */
export function limitOf(a: ScriptedAccount): number {
  return usageLimit(rulesOf(a.preset, a.balance), a.balance);
}

/** An account's login and server as one key (unique in `accounts`). */
const loginKey = (a: { login: string | number; server: string }) => `${a.login}\u0000${a.server}`;

/**
 * Inserts every demo account the database lacks (by login and server): all of them into an
 * empty database, the scripted ones into one from before they existed. Tokens are stored
 * sealed under `keys` as the API stores them (docs/security.md, "Secrets at rest"); in clear
 * without. Answers how many.
 */
export async function seedDemo(config: DbConfig, keys: SealKeys | null = null): Promise<number> {
  const calm = calmAccounts().map((a, i) => {
    const preset = PRESET_MIX[i % PRESET_MIX.length]!;
    return { a, preset, label: `Demo #${i + 1} (${preset})` };
  });
  const scripted = scriptedDemoAccounts().map((a) => ({ a, preset: a.preset, label: a.label }));
  const all = [...calm, ...scripted];
  return withDb(config, async (db) => {
    const present = await db
      .select({ login: accounts.login, server: accounts.server })
      .from(accounts)
      .where(
        inArray(
          accounts.login,
          all.map(({ a }) => String(a.login)),
        ),
      );
    const have = new Set(present.map(loginKey));
    const values = await Promise.all(
      all
        .filter(({ a }) => !have.has(loginKey(a)))
        .map(async ({ a, preset, label }) => ({
          login: String(a.login),
          server: a.server,
          ...(await storedSession(keys, a.session_id)),
          label,
          preset,
          rules: rulesOf(preset, a.balance),
        })),
    );
    if (values.length === 0) return 0;
    const inserted = await db
      .insert(accounts)
      .values(values)
      .onConflictDoNothing()
      .returning({ id: accounts.id });
    return inserted.length;
  });
}

async function control(sim: Simulator, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/control${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Makes every active account known to the simulator (with its `account_id`, so the
 * `account_id` event shape routes), keeping figures the simulator already has. The scripted
 * accounts are always known (any status: a breached one may be reset), at the start of
 * their paths, and left to their script (`walk: false`).
 */
export async function registerAccountsInSimulator(
  config: DbConfig,
  sim: Simulator,
  keys: SealKeys | null = null,
): Promise<number> {
  // The simulator knows accounts by their token in clear (stored sealed).
  const rows = await openSessionRows(
    keys,
    await withDb(config, (db) => db.select().from(accounts)),
  );
  const known = (await control(sim, "/accounts")) as Array<{ session_id: string }>;
  const knownIds = new Set(known.map((a) => a.session_id));
  const calm = new Map(calmAccounts().map((a) => [a.session_id, a]));
  const scripted = new Map(scriptedDemoAccounts().map((a) => [a.session_id, a]));
  const missing: SimAccountInput[] = [];
  for (const row of rows) {
    if (knownIds.has(row.sessionId)) continue;
    const script = scripted.get(row.sessionId);
    if (script) {
      const { plan, preset: _p, label: _l, ...input } = script;
      missing.push({
        ...input,
        equity: equityAt(script.balance, limitOf(script), plan.startUsage),
        account_id: row.id,
      });
      continue;
    }
    if (row.status !== "active") continue;
    const balance = row.metrics?.balance ?? row.rules.initial_balance;
    const walker = calm.get(row.sessionId);
    missing.push({
      ...walker,
      session_id: row.sessionId,
      login: row.login,
      server: row.server,
      balance,
      equity: row.metrics?.equity ?? balance,
      account_id: row.id,
    });
  }
  if (missing.length) await control(sim, "/accounts", missing);
  return rows.filter((r) => r.status === "active").length;
}

/** Starts every scene's script in the simulator. */
export function playDemo(sim: Simulator): DemoScene[] {
  const all = scenes();
  for (const scene of all) sim.play(scene.script(limitOf));
  return all;
}

/**
 * Brings the scripted accounts a previous start left breached back to active
 * (`POST /v1/accounts/{id}/reset`, audited), so the show plays again on a kept database.
 * Their earlier violations stay on record; a breach on the same trading day is not recorded
 * twice (one violation per account, rule and period, docs/rules.md). Answers how many.
 */
export async function replayDemo(
  config: DbConfig,
  base: string,
  adminToken: string,
): Promise<number> {
  const scripted = new Set(scriptedDemoAccounts().map(loginKey));
  const breached = (
    await withDb(config, (db) =>
      db
        .select({ id: accounts.id, login: accounts.login, server: accounts.server })
        .from(accounts)
        .where(eq(accounts.status, "breached")),
    )
  ).filter((r) => scripted.has(loginKey(r)));
  let reset = 0;
  for (const { id } of breached) {
    const res = await fetch(`${base}/v1/accounts/${id}/reset`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "npm run dev: the demo plays again" }),
    });
    if (res.ok) reset++;
  }
  return reset;
}
