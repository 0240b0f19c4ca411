/**
 * The chaos suite's engine (issue "Never blind"): the whole local stack (embedded Postgres
 * behind its relay, the simulator, `wrangler dev` with the Durable Object and the Queues, as
 * bench/stack.ts starts them) while live accounts trade through the simulator and some of them
 * breach at scripted times; meanwhile faults are injected at random from a seed. At the end
 * the faults stop, the accounts keep reporting their figures until the system settles, and the
 * invariants are checked on outcomes, not timings:
 *
 * - every breach the simulator caused is recorded exactly once in Postgres, and none falsely;
 * - no account went unwatched past its window (live 90 s, polled 110 s) without the monitor
 *   reporting degraded (sampled every second from `GET /v1/monitor`), and none past 120 s;
 * - no dead letter lost: the outbox drains, and every dead letter counted is listed;
 * - enforcement (`ENFORCEMENT=on`, test/chaos/enforcement.ts): every account breached with a
 *   closing consequence is flat unless its session is investor or its market closed (its
 *   action says so), no ticket is sent a close after it was closed, no action where none is
 *   due, dry runs send nothing.
 *
 * Used by `npm run chaos` (scripts/chaos.ts) and, in a short form, by test/chaos/chaos.test.ts.
 */
import { sql } from "drizzle-orm";
import { BAND_EQUITY, BREACH_EQUITY, goLive, type BenchAccount } from "../../bench/fixtures.ts";
import { startStack, type Stack } from "../../bench/stack.ts";
// The windows of the monitor's health (live, polled), as the monitor itself judges them.
import { LIVE_STALE_S, POLLING_STALE_S } from "../../src/live/core/health.ts";
import {
  EnforcementWatch,
  formatEnforcement,
  setupEnforcement,
  type EnforcementReport,
} from "./enforcement.ts";

/** The faults, by kind. */
export const FAULT_KINDS = [
  "link_drop",
  "link_refused",
  "database_down",
  "junk_frames",
  "skewed_stamps",
  "mtapi_stall",
  // The real bridge (docs/mtapi-bridge.md): renewed, never a reading, learnt.
  "token_expiry",
  "unsynced_answers",
  "credential_rejection",
  "server_time_stamps",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  /** Seconds of trading under faults (the settle phase comes after). */
  seconds: number;
  seed: number;
  /** Live accounts (default 24); about half of them breach. */
  accounts?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Enforcement on, with its faults and invariants (default true). */
  enforce?: boolean;
  /**
   * Share of accounts whose figures stay inside the live band (default 0.5): they stay live and
   * breach by event; the others cross the exit threshold, leave live and are polled.
   */
  liveShare?: number;
}

export interface Invariant {
  name: string;
  held: boolean;
  detail: string;
}

/** One moment of the run, for the story around the longest gap. */
export interface TimelineEntry {
  /** Seconds since trading started. */
  atS: number;
  what: string;
}

/** The account that went unwatched longest, and what happened around its gap. */
export interface WorstGap {
  accountId: number | null;
  /** `polling`, `live` (subscribed in the monitor) or `handoff` (live in Postgres, not subscribed; or subscribed, polling in Postgres). */
  state: "polling" | "live" | "handoff" | "unknown";
  unwatchedS: number;
  /** The monitor's health and reasons in that sample. */
  health: string;
  reasons: string[];
  /** The gap, in seconds since trading started: its last reading, and when it was seen. */
  fromS: number;
  toS: number;
  /** Faults and events from 15 s before the gap to its end. */
  around: TimelineEntry[];
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  accounts: number;
  faults: Record<FaultKind, number>;
  breaches: {
    scripted: number;
    recorded: number;
    duplicated: number;
    false: number;
    /** Violations by the path that recorded them (`event`: the live monitor; `poll`). */
    bySource: Record<string, number>;
  };
  /** The largest `coverage.max_unwatched_s` seen, s. */
  maxUnwatchedS: number;
  /** The account behind `maxUnwatchedS` (null when no sample saw any account unwatched). */
  worst: WorstGap | null;
  /** Samples of `GET /v1/monitor` taken, and how many said degraded. */
  samples: number;
  degradedSamples: number;
  /** `monitor.degraded` / `monitor.recovered` messages stored. */
  healthAlerts: { degraded: number; recovered: number };
  deadLetters: number;
  /** Null when the run had enforcement off. */
  enforcement: EnforcementReport | null;
  settleS: number;
  invariants: Invariant[];
  ok: boolean;
}

/** A small seeded generator (mulberry32): the same seed, the same fault schedule. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The bridge's answer for an expired token. */
const INVALID_TOKEN_BODY = JSON.stringify({
  code: "INVALID_TOKEN",
  message: "Client with id not found",
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** The promise: no account unwatched past this long (docs/never-blind.md). */
const MAX_UNWATCHED_S = 120;
/** Safe equities: inside the live band (daily usage 90-97%), above the 95,000 floor. */
const SAFE_LOW = 95_150;
const SAFE_HIGH = 95_600;
/**
 * The top of the range of accounts that stay live: daily usage 91-97%, inside the band, so they
 * never fall below the 90% exit threshold (95,500) and breach by event, through the monitor.
 */
const LIVE_HIGH = 95_450;
/** The settle phase ends with every breach recorded and nothing pending, or after this. */
const SETTLE_MAX_MS = 150_000;

interface MonitorSample {
  health: "ok" | "degraded";
  reasons: string[];
  coverage: { max_unwatched_s: number };
  pending_writes: number;
  dead_letters: number;
}

/** Runs one chaos run and checks its invariants; the stack is stopped at the end. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const rand = seeded(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  const stack = await startStack("chaos", {
    // A key to seal stored credentials with (the credential_rejection fault stores some).
    vars: {
      ALLOW_LOOPBACK_WEBHOOKS: "1",
      SECRETS_KEY: "c4a05".padEnd(64, "0"),
      ENFORCEMENT: opts.enforce === false ? "off" : "on",
    },
  });
  try {
    return await run(stack, opts, log, rand, pick, between);
  } finally {
    await stack.close();
  }
}

async function run(
  stack: Stack,
  opts: ChaosOptions,
  log: (line: string) => void,
  rand: () => number,
  pick: <T>(xs: readonly T[]) => T,
  between: (lo: number, hi: number) => number,
): Promise<ChaosReport> {
  const n = opts.accounts ?? 24;
  const { accounts } = await goLive(stack, {
    tag: `chaos${opts.seed}`,
    count: n,
    already: 0,
    equity: BAND_EQUITY,
  });
  log(`${n} live accounts subscribed`);
  const durationMs = opts.seconds * 1000;
  // About half the accounts breach, each at a scripted moment of the run.
  const breachAt = new Map<number, number>();
  for (const a of accounts) if (rand() < 0.5) breachAt.set(a.id, between(0.1, 0.85) * durationMs);
  if (breachAt.size === 0) breachAt.set(accounts[0]!.id, 0.5 * durationMs);
  const equity = new Map<number, number>(accounts.map((a) => [a.id, BAND_EQUITY]));
  // Which accounts stay live, from a generator of their own (the seed's other draws unchanged).
  const liveRand = seeded(opts.seed ^ 0x11fe);
  const liveShare = opts.liveShare ?? 0.5;
  const staysLive = new Set(accounts.filter(() => liveRand() < liveShare).map((a) => a.id));
  log(`stay live: ${[...staysLive].map((id) => `#${id}`).join(", ") || "none"}`);
  const breached = new Set<number>();

  const relay = `http://${stack.pg.wsProxy.split("/")[0]}/control`;
  const database = (state: "down" | "up") =>
    fetch(`${relay}/${state}`, { method: "POST" }).then((r) => {
      if (!r.ok) throw new Error(`relay ${state}: ${r.status}`);
    });
  const setFigures = (a: BenchAccount, value: number, shape = "full") =>
    stack.control(
      `/accounts/${encodeURIComponent(a.sessionId)}`,
      { equity: value, emit: true, shape },
      "PATCH",
    );

  // The story of the run, to explain the longest gap (seconds since trading started).
  let t0 = Date.now();
  const timeline: TimelineEntry[] = [];
  const mark = (what: string) => timeline.push({ atS: (Date.now() - t0) / 1000, what });
  // Enforcement's policies, orders and close scripts from a generator of their own, so the
  // fault schedule of a seed stays what it was without them.
  const plans =
    opts.enforce === false
      ? null
      : await setupEnforcement(
          stack,
          accounts,
          new Set(breachAt.keys()),
          seeded(opts.seed ^ 0x5eed),
          opts.seconds >= 120,
        );
  const enforcement = plans === null ? null : new EnforcementWatch(stack, plans, mark);
  if (plans !== null)
    log(
      `enforcement: ${[...plans.values()].map((p) => `#${p.id} ${p.role}${p.lock ? "+lock" : ""}`).join(", ")}`,
    );
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const restores: Array<{ at: number; undo: () => Promise<unknown> }> = [];
  let dbDownUntil = 0;
  let stallUntil = 0;
  const inject = async (kind: FaultKind, now: number): Promise<void> => {
    switch (kind) {
      case "link_drop":
        await stack.control("/drop", {});
        mark("link_drop");
        break;
      case "link_refused": {
        const seconds = Math.round(between(2, 8));
        await stack.control("/refuse", { seconds });
        mark(`link_refused ${seconds} s`);
        break;
      }
      case "database_down": {
        if (now < dbDownUntil) return;
        await database("down");
        dbDownUntil = now + between(3_000, 15_000);
        mark(`database_down for ${((dbDownUntil - now) / 1000).toFixed(1)} s`);
        restores.push({
          at: dbDownUntil,
          undo: () => database("up").then(() => mark("database up")),
        });
        break;
      }
      case "junk_frames":
        for (let i = 0, k = 1 + Math.floor(rand() * 5); i < k; i++)
          await stack.control("/emit", {
            frame: pick(['{"type":"OrderProfit",', "not json", "[1,2,", '{"data":{"equity":"x"}}']),
          });
        mark("junk_frames");
        break;
      case "skewed_stamps": {
        // A breaching figure stamped a day ahead or two days back: never applied (docs/rules.md
        // "Reading times"), so it neither breaches nor blinds the account.
        const a = pick(accounts);
        const at = pick([Date.now() + 86_400_000, Date.now() - 2 * 86_400_000]);
        await stack.control("/emit", {
          frame: {
            type: "OrderProfit",
            session_id: a.sessionId,
            timestamp: at,
            data: { balance: 100_000, equity: 90_000 },
          },
          session_id: a.sessionId,
        });
        mark(`skewed_stamps #${a.id}`);
        break;
      }
      case "token_expiry": {
        // The token answers 201 INVALID_TOKEN until reconnected (ConnectByToken renews it).
        const a = pick(accounts);
        await stack.control(
          `/accounts/${encodeURIComponent(a.sessionId)}`,
          { expired: true, expired_status: 201, expired_body: INVALID_TOKEN_BODY },
          "PATCH",
        );
        mark(`token_expiry #${a.id}`);
        break;
      }
      case "unsynced_answers": {
        // Zeros marked synced: false, by event and over REST, for a few seconds: never a reading.
        const a = pick(accounts);
        const path = `/accounts/${encodeURIComponent(a.sessionId)}`;
        await stack.control(path, { synced: false, emit: true }, "PATCH");
        const until = now + between(2_000, 8_000);
        mark(`unsynced_answers #${a.id} for ${((until - now) / 1000).toFixed(1)} s`);
        restores.push({
          at: until,
          undo: () => stack.control(path, { synced: true }, "PATCH"),
        });
        break;
      }
      case "credential_rejection": {
        // A wrong stored password and a token the bridge will not reconnect: the renewal is
        // refused (INVALID_ACCOUNT); an operator puts the right one back a little later.
        const a = pick(accounts);
        const path = `/accounts/${encodeURIComponent(a.sessionId)}`;
        await stack.control(path, { password: "right", connect_by_token: false }, "PATCH");
        await stack
          .admin(`/v1/accounts/${a.id}/credentials`, {
            method: "PUT",
            body: { password: "wrong", kind: "investor" },
          })
          .catch(() => {});
        await stack.control(
          path,
          { expired: true, expired_status: 201, expired_body: INVALID_TOKEN_BODY },
          "PATCH",
        );
        const until = now + between(3_000, 10_000);
        mark(`credential_rejection #${a.id} for ${((until - now) / 1000).toFixed(1)} s`);
        restores.push({
          at: until,
          undo: async () => {
            await stack
              .admin(`/v1/accounts/${a.id}/credentials`, {
                method: "PUT",
                body: { password: "right", kind: "investor" },
              })
              .catch(() => {});
            await stack.control(path, { connect_by_token: true }, "PATCH");
          },
        });
        break;
      }
      case "server_time_stamps": {
        // Figures stamped in broker time (UTC+2 or +3): learnt and applied, never a breach of
        // their own (the account's current figures).
        const a = pick(accounts);
        const offset = pick([2, 3]) * 3_600_000;
        for (let i = 0; i < 3; i++)
          await stack.control("/emit", {
            frame: {
              type: "OrderProfit",
              session_id: a.sessionId,
              timestampUTC: Date.now() + offset,
              data: { balance: 100_000, equity: equity.get(a.id) ?? BAND_EQUITY },
            },
            session_id: a.sessionId,
          });
        mark(`server_time_stamps #${a.id}`);
        break;
      }
      case "mtapi_stall": {
        if (now < stallUntil) return;
        const ms = Math.round(between(2_000, 8_000));
        await stack.control("/delay", { ms });
        stallUntil = now + between(5_000, 15_000);
        mark(`mtapi_stall ${ms} ms a call for ${((stallUntil - now) / 1000).toFixed(1)} s`);
        restores.push({
          at: stallUntil,
          undo: () => stack.control("/delay", { ms: 0 }).then(() => mark("mtapi stall over")),
        });
        break;
      }
    }
    faults[kind]++;
  };

  /** The active accounts without a reading for 90 s, as Postgres and the monitor see them. */
  const unwatched = async (): Promise<Array<{ live: boolean; text: string }>> => {
    const r = await stack.db.db.execute<{ id: number; m: string; last: number | null }>(
      sql`select id, monitoring_state as m, (risk_state->>'last_at')::float8 as last from accounts
          where status = 'active' and coalesce((risk_state->>'last_at')::float8, 0) < ${Date.now() - LIVE_STALE_S * 1000}`,
    );
    return r.rows.map((x) => ({
      live: x.m === "live",
      text: `#${x.id} ${x.m} read ${x.last ? Math.round((Date.now() - x.last) / 1000) : "never"} s ago`,
    }));
  };
  /** Each active account's monitoring state in Postgres, as last seen (transitions go on the timeline). */
  const stateSeen = new Map<number, string>();
  let worst: (Omit<WorstGap, "around"> & { atMs: number }) | null = null;
  /** Names the account behind `u` s unwatched (seen at `at`): a polled one in Postgres, else a live one in the monitor. */
  const identify = async (u: number, at: number, sampled: MonitorSample): Promise<void> => {
    const r = await stack.db.db.execute<{ id: number; m: string; last: number }>(
      sql`select id, monitoring_state as m, coalesce((risk_state->>'last_at')::float8,
            extract(epoch from created_at) * 1000) as last from accounts where status = 'active'`,
    );
    const subs = await stack.admin<{
      items: Array<{ account_id: number; subscribed_at: string; last_event_at: string | null }>;
    }>("/v1/monitor/subscriptions");
    const subscribed = new Map(
      subs.items.map((x) => [
        x.account_id,
        Math.max(Date.parse(x.subscribed_at), x.last_event_at ? Date.parse(x.last_event_at) : 0),
      ]),
    );
    const rows = r.rows.map((x) => ({ id: Number(x.id), m: x.m, last: Number(x.last) }));
    const polled = rows.filter((x) => x.m === "polling").sort((a, b) => a.last - b.last)[0];
    let id: number | null = null;
    let state: WorstGap["state"] = "unknown";
    if (polled && Math.abs((at - polled.last) / 1000 - u) < 3) {
      id = polled.id;
      state = subscribed.has(id) ? "handoff" : "polling";
    } else {
      const live = [...subscribed.entries()].sort((a, b) => a[1] - b[1])[0];
      if (live) {
        id = live[0];
        state = rows.find((x) => x.id === id)?.m === "live" ? "live" : "handoff";
      }
    }
    worst = {
      accountId: id,
      state,
      unwatchedS: u,
      health: sampled.health,
      reasons: sampled.reasons,
      fromS: (at - u * 1000 - t0) / 1000,
      toS: (at - t0) / 1000,
      atMs: at,
    };
  };
  /** Notes accounts changing monitoring state in Postgres, and live ones the monitor does not hold. */
  const watchStates = async (): Promise<void> => {
    const r = await stack.db.db.execute<{ id: number; m: string }>(
      sql`select id, monitoring_state as m from accounts where status = 'active'`,
    );
    for (const x of r.rows) {
      const id = Number(x.id);
      const was = stateSeen.get(id);
      if (was !== undefined && was !== x.m) mark(`#${id} ${was} -> ${x.m}`);
      stateSeen.set(id, x.m);
    }
  };
  let maxUnwatched = 0;
  let samples = 0;
  let degradedSamples = 0;
  const blind: string[] = [];
  const sample = async (): Promise<MonitorSample | null> => {
    try {
      const s = await stack.admin<MonitorSample>("/v1/monitor");
      samples++;
      if (s.health === "degraded") degradedSamples++;
      const u = s.coverage.max_unwatched_s;
      const at = Date.now();
      maxUnwatched = Math.max(maxUnwatched, u);
      await watchStates().catch(() => {});
      if (u > 0 && u > (worst?.unwatchedS ?? 0)) {
        await identify(u, at, s).catch(() => {});
        if (u > MAX_UNWATCHED_S) log(`unwatched ${u} s: ${JSON.stringify(worst)}`);
      }
      // Past its window (live 90 s, polled 110 s) an account must make the monitor degraded.
      if (u > LIVE_STALE_S && s.health !== "degraded") {
        const who = await unwatched();
        if (u > POLLING_STALE_S || who.some((w) => w.live)) {
          blind.push(`${u} s unwatched, health ${s.health}: ${who.map((w) => w.text).join("; ")}`);
          log(`blind: ${blind.at(-1)}`);
        }
      }
      return s;
    } catch {
      return null; // the API itself may be failing (database down): not a sample
    }
  };

  // ---- trading under faults -----------------------------------------------------------------
  const started = Date.now();
  t0 = started;
  let nextFault = started + between(1_000, 4_000);
  let nextSample = started;
  let nextCron = started + 20_000;
  let nextTrader = started;
  while (Date.now() - started < durationMs) {
    const now = Date.now();
    const elapsed = now - started;
    for (const a of accounts) {
      const at = breachAt.get(a.id);
      if (at !== undefined && !breached.has(a.id) && elapsed >= at) {
        breached.add(a.id);
        equity.set(a.id, BREACH_EQUITY);
        await setFigures(a, BREACH_EQUITY, pick(["full", "pascal_id"]));
        log(`breach scripted: account ${a.id} at ${(elapsed / 1000).toFixed(1)} s`);
        mark(`breach scripted #${a.id}`);
      }
    }
    // Trading: a few accounts report new figures (breached ones keep their breach figures).
    for (let i = 0; i < 3; i++) {
      const a = pick(accounts);
      const high = staysLive.has(a.id) ? LIVE_HIGH : SAFE_HIGH;
      const value = breached.has(a.id) ? BREACH_EQUITY : Math.round(between(SAFE_LOW, high));
      equity.set(a.id, value);
      await setFigures(a, value);
    }
    if (now >= nextFault) {
      // Every kind once first (in a seeded order), then at random.
      const unused = FAULT_KINDS.filter((k) => faults[k] === 0);
      const kind = pick(unused.length ? unused : FAULT_KINDS);
      await inject(kind, now);
      log(`fault ${kind} at ${(elapsed / 1000).toFixed(1)} s`);
      nextFault = now + between(1_500, 4_000);
    }
    if (now >= nextSample) {
      await sample();
      nextSample = now + 1_000;
    }
    if (now >= nextCron) {
      // Fired, not awaited: the minute's tick comes whatever the last one is still doing (and
      // the faults' restores in this loop must not wait for a sweep).
      mark("cron");
      void stack.worker.fireCron().catch(() => mark("cron failed"));
      nextCron = now + 20_000;
    }
    if (enforcement && now >= nextTrader) {
      // Locked accounts' traders open a position once their breach's action is done.
      await enforcement.traderOpens().catch(() => {});
      nextTrader = now + 3_000;
    }
    await runDue(restores);
    await sleep(250);
  }

  // ---- settle: faults off, accounts keep reporting ----------------------------------------
  for (const r of restores.splice(0)) await r.undo();
  await database("up");
  await stack.control("/delay", { ms: 0 });
  mark("faults off: settle");
  const settleStarted = Date.now();
  const db = stack.db.db;
  const violationCounts = async () => {
    const r = await db.execute<{ account_id: number; n: number }>(
      sql`select account_id, count(*)::int as n from violations group by account_id`,
    );
    return new Map(r.rows.map((x) => [Number(x.account_id), Number(x.n)]));
  };
  let counts = await violationCounts();
  let last: MonitorSample | null = null;
  while (Date.now() - settleStarted < SETTLE_MAX_MS) {
    counts = await violationCounts();
    last = await sample();
    const allRecorded = [...breached].every((id) => (counts.get(id) ?? 0) >= 1);
    await enforcement?.traderOpens().catch(() => {});
    const acted =
      enforcement === null || (await enforcement.pending().catch(() => ["?"])).length === 0;
    if (allRecorded && acted && last && last.pending_writes === 0) break;
    for (const a of accounts) await setFigures(a, equity.get(a.id)!);
    await stack.worker.fireCron().catch(() => {});
    await sleep(2_000);
  }
  const settleS = (Date.now() - settleStarted) / 1000;
  last = (await sample()) ?? last;
  const listed = await stack.admin<{ items: unknown[] }>("/v1/monitor/dead-letters");
  const alerts = await db.execute<{ type: string; n: number }>(
    sql`select type, count(*)::int as n from webhook_messages where type like 'monitor.%' group by type`,
  );
  const alertCount = (t: string) => Number(alerts.rows.find((r) => r.type === t)?.n ?? 0);
  const sources = await db.execute<{ source: string; n: number }>(
    sql`select source, count(*)::int as n from violations group by source`,
  );
  const bySource = Object.fromEntries(sources.rows.map((r) => [r.source, Number(r.n)]));

  const recorded = [...breached].filter((id) => (counts.get(id) ?? 0) >= 1).length;
  const duplicated = [...counts.entries()].filter(([id, c]) => breached.has(id) && c > 1).length;
  const falsely = [...counts.keys()].filter((id) => !breached.has(id)).length;
  const invariants: Invariant[] = [
    {
      name: "every breach recorded exactly once, none falsely",
      held: recorded === breached.size && duplicated === 0 && falsely === 0,
      detail: `${breached.size} scripted, ${recorded} recorded, ${duplicated} duplicated, ${falsely} false`,
    },
    {
      name: `no account unwatched past its window (live ${LIVE_STALE_S} s, polled ${POLLING_STALE_S} s) without the monitor reporting degraded`,
      held: blind.length === 0,
      detail: blind.length ? blind.slice(0, 3).join("; ") : `${samples} samples`,
    },
    {
      name: `no account unwatched past ${MAX_UNWATCHED_S} s`,
      held: maxUnwatched <= MAX_UNWATCHED_S,
      detail: `max ${maxUnwatched} s`,
    },
    {
      name: "no dead letter lost: the outbox drained, every dead letter listed",
      held: last !== null && last.pending_writes === 0 && listed.items.length === last.dead_letters,
      detail: `pending ${last?.pending_writes ?? "?"}, dead letters ${last?.dead_letters ?? "?"} counted / ${listed.items.length} listed`,
    },
  ];
  const enforced = enforcement === null ? null : await enforcement.check();
  if (enforced) {
    invariants.push(...enforced.invariants);
    for (const line of enforced.report.list) log(`action ${line}`);
  }
  return {
    seed: opts.seed,
    seconds: opts.seconds,
    accounts: n,
    faults,
    breaches: { scripted: breached.size, recorded, duplicated, false: falsely, bySource },
    maxUnwatchedS: maxUnwatched,
    worst: worstGap(worst, timeline),
    samples,
    degradedSamples,
    healthAlerts: {
      degraded: alertCount("monitor.degraded"),
      recovered: alertCount("monitor.recovered"),
    },
    deadLetters: listed.items.length,
    enforcement: enforced?.report ?? null,
    settleS,
    invariants,
    ok: invariants.every((i) => i.held),
  };
}

/** The worst gap with the timeline around it: from 15 s before it opened to when it was seen. */
function worstGap(
  w: (Omit<WorstGap, "around"> & { atMs: number }) | null,
  timeline: readonly TimelineEntry[],
): WorstGap | null {
  if (!w) return null;
  const { atMs: _atMs, ...gap } = w;
  const around = timeline.filter((e) => e.atS >= gap.fromS - 15 && e.atS <= gap.toS);
  return { ...gap, around };
}

/** Runs the undo of every restore whose time has come. */
async function runDue(restores: Array<{ at: number; undo: () => Promise<unknown> }>) {
  const now = Date.now();
  const due = restores.filter((r) => r.at <= now);
  for (const r of due) {
    restores.splice(restores.indexOf(r), 1);
    await r.undo();
  }
}

/** The report as a table for humans. */
export function formatReport(r: ChaosReport): string {
  const lines = [
    `chaos: seed ${r.seed}, ${r.seconds} s, ${r.accounts} live accounts, settled in ${r.settleS.toFixed(0)} s`,
    `faults: ${FAULT_KINDS.map((k) => `${k} ${r.faults[k]}`).join(", ")}`,
    `breaches: scripted ${r.breaches.scripted}, recorded ${r.breaches.recorded} (${Object.entries(
      r.breaches.bySource,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}), duplicated ${r.breaches.duplicated}, false ${r.breaches.false}`,
    `monitor: max unwatched ${r.maxUnwatchedS} s; ${r.degradedSamples}/${r.samples} samples degraded; alerts degraded ${r.healthAlerts.degraded}, recovered ${r.healthAlerts.recovered}; dead letters ${r.deadLetters}`,
    ...(r.worst
      ? [
          `longest unwatched: account ${r.worst.accountId ?? "?"} (${r.worst.state}), ${r.worst.unwatchedS} s (monitor ${r.worst.health}${r.worst.reasons.length ? `: ${r.worst.reasons.join(", ")}` : ""}), from ${r.worst.fromS.toFixed(1)} s to ${r.worst.toS.toFixed(1)} s; around it: ${
            r.worst.around.map((e) => `${e.atS.toFixed(1)} ${e.what}`).join(", ") || "nothing"
          }`,
        ]
      : []),
    ...(r.enforcement ? [formatEnforcement(r.enforcement)] : []),
    ...r.invariants.map((i) => `${i.held ? "HELD  " : "BROKEN"} ${i.name} (${i.detail})`),
  ];
  return lines.join("\n");
}
