/** Shared helpers for the workerd tests: the simulator's control API and the real database. */
import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { openDb, type Db } from "../../src/db/client.ts";
import worker from "../../src/index.ts";
import { accounts, violations, type AccountRow } from "../../src/db/schema.ts";
import { resolveRules } from "../../src/risk/index.ts";
import type { LiveMonitor } from "../../src/live/monitor.ts";
import { sealKeysOf } from "../../src/secrets/keys.ts";
import { openSession } from "../../src/secrets/session.ts";

/** The simulator's base URL: a test-only binding set in vitest.config.ts. */
export const SIM_URL = (env as Env & { SIM_URL: string }).SIM_URL;

/** Calls the simulator's control API; throws on a non-2xx answer. */
export async function sim<T = unknown>(path: string, body?: unknown, method?: string): Promise<T> {
  const res = await fetch(`${SIM_URL}/control${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sim ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Runs `fn` with a fresh connection pool to the test database. */
export async function withTestDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = openDb(env);
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/** Names of the monitors tests opened; test/worker/setup.ts empties them after each test. */
export const trackedMonitors: string[] = [];

/** A monitor (by name) emptied of its subscriptions after the test, pass or fail. */
export function trackMonitor(name: string): DurableObjectStub<LiveMonitor> {
  trackedMonitors.push(name);
  return env.LIVE_MONITOR.getByName(name);
}

let counter = 0;
/** A login and session id no other test uses. */
export function uniqueIds(): { login: string; session_id: string; server: string } {
  counter++;
  const rand = crypto.randomUUID();
  return {
    login: String(10_000_000 + Math.floor(Math.random() * 89_999_999)),
    session_id: rand,
    server: `Test-${counter}-${rand.slice(0, 6)}`,
  };
}

export interface TestAccountOptions {
  preset?: string;
  initial_balance?: number;
  balance?: number;
  equity?: number;
  monitoring_state?: "polling" | "live";
  /** Also create it in the simulator (default true). */
  inSim?: boolean;
}

/** Creates `n` accounts in the database (and the simulator) in one go and returns their rows. */
export async function createTestAccounts(
  n: number,
  opts: TestAccountOptions = {},
): Promise<AccountRow[]> {
  const initial = opts.initial_balance ?? 100_000;
  const resolved = resolveRules({ preset: opts.preset ?? "ftmo-2step", initial_balance: initial });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  const rules = resolved.rules;
  const ids = Array.from({ length: n }, uniqueIds);
  const rows = await withTestDb((db) =>
    db
      .insert(accounts)
      .values(
        ids.map((i) => ({
          login: i.login,
          server: i.server,
          sessionId: i.session_id,
          label: "test",
          preset: resolved.preset,
          rules,
          monitoringState: opts.monitoring_state ?? "polling",
        })),
      )
      .returning(),
  );
  if (opts.inSim ?? true) {
    await sim(
      "/accounts",
      rows.map((row) => ({
        session_id: row.sessionId,
        login: row.login,
        server: row.server,
        balance: opts.balance ?? initial,
        equity: opts.equity ?? opts.balance ?? initial,
        account_id: row.id,
        walk: false,
      })),
    );
  }
  return rows;
}

/** Creates one account in the database (and the simulator) and returns its row. */
export async function createTestAccount(opts: TestAccountOptions = {}): Promise<AccountRow> {
  const [row] = await createTestAccounts(1, opts);
  return row!;
}

/**
 * The MTAPI session token a row holds, in clear: `session_id` is stored sealed
 * (docs/security.md, "Secrets at rest"); a row inserted in clear reads as it is.
 */
export async function tokenOf(row: Pick<AccountRow, "sessionId">): Promise<string> {
  return openSession(await sealKeysOf(env), row.sessionId);
}

export async function getAccount(id: number): Promise<AccountRow> {
  const [row] = await withTestDb((db) => db.select().from(accounts).where(eq(accounts.id, id)));
  if (!row) throw new Error(`no account ${id}`);
  return row;
}

export async function violationsOf(ids: number[]) {
  return withTestDb((db) => db.select().from(violations).where(inArray(violations.accountId, ids)));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the Worker's cron handler once, as the platform would, and waits for its work. */
export async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Switches the database relay off or on: Postgres looks unreachable meanwhile (dev/relay.ts). */
export async function database(state: "down" | "up"): Promise<void> {
  const res = await fetch(`http://${env.DB_WS_PROXY!.split("/")[0]}/control/${state}`, {
    method: "POST",
  });
  if (!res.ok) throw new Error(`database relay ${state}: ${res.status}`);
}
