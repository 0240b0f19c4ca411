/**
 * Demo data for `npm run dev` with the bundled simulator: a few dozen accounts on mixed
 * presets, and every active account made known to the simulator so its MTAPI answers.
 */
import { count, eq } from "drizzle-orm";
import { withDb, type DbConfig } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import { resolveRules, type PresetName } from "../src/risk/index.ts";
import type { SimAccountInput } from "../sim/accounts.ts";
import { demoAccounts } from "../sim/demo.ts";
import type { Simulator } from "../sim/simulator.ts";

/** How many demo accounts, and the seed that makes them the same on every run. */
export const DEMO_COUNT = 36;
const DEMO_SEED = 7;

const PRESET_MIX: PresetName[] = [
  "ftmo-2step",
  "ftmo-1step",
  "the5ers-highstakes",
  "fundednext-2step",
  "topstep-style",
];

async function control(sim: Simulator, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/control${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Inserts the demo accounts when the database has none; returns how many it inserted. */
export async function seedDemo(config: DbConfig, n = DEMO_COUNT): Promise<number> {
  return withDb(config, async (db) => {
    const [row] = await db.select({ n: count() }).from(accounts);
    if ((row?.n ?? 0) > 0) return 0;
    const demo: SimAccountInput[] = demoAccounts(n, DEMO_SEED);
    const values = demo.map((a, i) => {
      const preset = PRESET_MIX[i % PRESET_MIX.length]!;
      const resolved = resolveRules({ preset, initial_balance: a.balance });
      if (!resolved.ok) throw new Error(`demo rules: ${JSON.stringify(resolved.issues)}`);
      return {
        login: String(a.login),
        server: a.server,
        sessionId: a.session_id,
        label: `Demo #${i + 1} (${preset})`,
        preset,
        rules: resolved.rules,
      };
    });
    await db.insert(accounts).values(values);
    return values.length;
  });
}

/**
 * Makes every active account known to the simulator (with its `account_id`, so the
 * `account_id` event shape routes), keeping figures the simulator already has.
 */
export async function registerAccountsInSimulator(
  config: DbConfig,
  sim: Simulator,
): Promise<number> {
  const rows = await withDb(config, (db) =>
    db.select().from(accounts).where(eq(accounts.status, "active")),
  );
  const known = (await control(sim, "/accounts")) as Array<{ session_id: string }>;
  const knownIds = new Set(known.map((a) => a.session_id));
  const demo = new Map(demoAccounts(DEMO_COUNT, DEMO_SEED).map((a) => [a.session_id, a]));
  const missing = rows
    .filter((row) => !knownIds.has(row.sessionId))
    .map((row) => {
      const balance = row.metrics?.balance ?? row.rules.initial_balance;
      return {
        ...demo.get(row.sessionId),
        session_id: row.sessionId,
        login: row.login,
        server: row.server,
        balance,
        equity: row.metrics?.equity ?? balance,
        account_id: row.id,
      };
    });
  if (missing.length) await control(sim, "/accounts", missing);
  return rows.length;
}
