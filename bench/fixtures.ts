/**
 * Benchmark accounts: the same accounts in Postgres (multi-row inserts in chunks) and in the
 * simulator (`POST /control/accounts` with arrays), all on `ftmo-2step` with a 100,000
 * initial balance.
 *
 * ftmo-2step: daily loss 5% of the initial balance from the day's start balance, max loss
 * 10% static, live at >= 97% usage, back to polling below 90%. With balance 100,000:
 * - equity 100,000: 0% usage, stays polling (the sweep);
 * - equity 95,300: daily usage 94%, inside the hysteresis band: a live account stays live and
 *   does not breach, whatever number of identical events it gets;
 * - equity 94,900: below the daily floor (95,000): a breach.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../src/db/client.ts";
import { accounts, type NewAccountRow } from "../src/db/schema.ts";
import { evaluate, resolveRules, type RiskState, type RuleParams } from "../src/risk/index.ts";
import type { SimAccountInput } from "../sim/accounts.ts";
import { waitForSubscriptions, type Stack } from "./stack.ts";

export const INITIAL_BALANCE = 100_000;
/** Daily usage 94%: inside the 90-97% band. */
export const BAND_EQUITY = 95_300;
/** Below the daily floor of 95,000. */
export const BREACH_EQUITY = 94_900;

export function benchRules(): RuleParams {
  const resolved = resolveRules({ preset: "ftmo-2step", initial_balance: INITIAL_BALANCE });
  if (!resolved.ok) throw new Error(`rules: ${JSON.stringify(resolved.issues)}`);
  return resolved.rules;
}

/**
 * The risk state a live account has when the poller handed it over: opened at the balance,
 * then a reading at `equity` (`at` epoch ms) that put it in live monitoring.
 */
export function liveRiskState(rules: RuleParams, equity: number, at: number): RiskState {
  const opened = evaluate(rules, null, {
    equity: INITIAL_BALANCE,
    balance: INITIAL_BALANCE,
    at: at - 1,
    source: "poll",
  });
  if (!opened.applied) throw new Error("opening reading not applied");
  const live = evaluate(
    rules,
    { ...opened.state, monitoring: "live" },
    { equity, at, source: "poll" },
  );
  if (!live.applied) throw new Error("live reading not applied");
  return live.state;
}

export interface BenchAccount {
  id: number;
  login: string;
  server: string;
  sessionId: string;
}

export interface CreateOptions {
  /** Distinguishes the accounts of one benchmark phase from another's (logins, sessions, server). */
  tag: string;
  count: number;
  monitoring: "polling" | "live";
  /** Equity in the simulator (and in the risk state of live accounts). */
  equity: number;
  /** First login number (8 digits). */
  firstLogin?: number;
}

const INSERT_CHUNK = 1_000;
/** The control API reads bodies up to 1 MiB: ~150 bytes per account. */
const SIM_CHUNK = 2_000;

/** Inserts the accounts in Postgres and the simulator; returns them in id order. */
export async function createAccounts(stack: Stack, opts: CreateOptions): Promise<BenchAccount[]> {
  const rules = benchRules();
  const now = Date.now();
  const risk = opts.monitoring === "live" ? liveRiskState(rules, opts.equity, now - 5_000) : null;
  const server = `Bench-${opts.tag}`;
  const first = opts.firstLogin ?? 50_000_000;
  const rows: NewAccountRow[] = Array.from({ length: opts.count }, (_, i) => ({
    login: String(first + i),
    server,
    sessionId: `${opts.tag}-${crypto.randomUUID()}`,
    label: `bench ${opts.tag} #${i + 1}`,
    preset: "ftmo-2step",
    rules,
    monitoringState: opts.monitoring,
    riskState: risk,
  }));
  const created = await insertAccounts(stack.db.db, rows);
  const simAccounts: SimAccountInput[] = created.map((a) => ({
    session_id: a.sessionId,
    login: a.login,
    server: a.server,
    balance: INITIAL_BALANCE,
    equity: opts.equity,
    account_id: a.id,
    walk: false,
  }));
  for (let i = 0; i < simAccounts.length; i += SIM_CHUNK) {
    await stack.control("/accounts", simAccounts.slice(i, i + SIM_CHUNK));
  }
  return created;
}

/** Multi-row inserts of INSERT_CHUNK rows each. */
export async function insertAccounts(db: Db, rows: NewAccountRow[]): Promise<BenchAccount[]> {
  const out: BenchAccount[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const got = await db
      .insert(accounts)
      .values(rows.slice(i, i + INSERT_CHUNK))
      .returning({
        id: accounts.id,
        login: accounts.login,
        server: accounts.server,
        sessionId: accounts.sessionId,
      });
    out.push(...got);
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Number of accounts in a state, straight from Postgres. */
export async function countAccounts(db: Db, where: ReturnType<typeof sql>): Promise<number> {
  const r = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from accounts where ${where}`,
  );
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * New live accounts per cron round. wrangler dev carries each console.log line of the Worker
 * over its own connection from its proxy process and keeps the connections open: the monitor
 * logs one line per subscribed account, so a reconcile of 10,000 accounts at once opens 10,000
 * connections and exhausts the 20,000 file descriptors allowed here (workerd: "Too many open
 * files", then wrangler exits). Rounds of 2,000 stay well below.
 */
const GO_LIVE_ROUND = 2_000;

/**
 * Adds `count` live accounts (Postgres and simulator) and has the cron's reconciliation
 * subscribe them, in rounds; resolves once the simulator holds `already + count` subscriptions.
 * Returns the accounts and the time from the first cron to the last subscription (ms).
 */
export async function goLive(
  stack: Stack,
  opts: { tag: string; count: number; already: number; equity: number },
): Promise<{ accounts: BenchAccount[]; subscribeMs: number }> {
  const accounts: BenchAccount[] = [];
  let subscribeMs = 0;
  for (let done = 0; done < opts.count; done += GO_LIVE_ROUND) {
    const n = Math.min(GO_LIVE_ROUND, opts.count - done);
    accounts.push(
      ...(await createAccounts(stack, {
        tag: opts.tag,
        count: n,
        monitoring: "live",
        equity: opts.equity,
        firstLogin: 50_000_000 + opts.already + done,
      })),
    );
    const started = Date.now();
    await stack.worker.fireCron();
    await waitForSubscriptions(stack.sim, opts.already + done + n, 120_000, 20);
    subscribeMs += Date.now() - started;
  }
  return { accounts, subscribeMs };
}
