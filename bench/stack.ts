/**
 * The system under benchmark, started once per benchmark script: the embedded Postgres
 * (PGlite, in memory; or, with `BENCH_DATABASE_URL`, a database of its own on that server), the simulator on a free port and `wrangler dev` on a free port with its
 * own persistence folder (so nothing is shared with `npm run dev` or an earlier run). `close`
 * stops all three; it is also registered as a cleanup, so no workerd outlives the script.
 *
 * The Worker runs from a copy of `src/` taken at start (in `.wrangler/bench-*`, git-ignored,
 * removed at the end), not from `src/` itself: `wrangler dev` rebuilds and restarts workerd (losing
 * the Durable Object's socket and memory) whenever a watched file changes, and `src/` may be
 * edited while a benchmark runs.
 */
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { connectDatabase, isLoopbackUrl, redactUrl } from "../dev/database.ts";
import { migrateDatabase } from "../dev/migrate.ts";
import { startPostgres, type LocalPostgres } from "../dev/postgres.ts";
import { startWorker, type LocalWorker } from "../dev/wrangler.ts";
import { openDb, type DbHandle } from "../src/db/client.ts";
import { newSealKey } from "../src/secrets/seal.ts";
import { note, onCleanup, root, sleep, verbose } from "./common.ts";
import { startSimThread, type SimHandle } from "./sim-thread.ts";

/**
 * `GET /v1/monitor` as the benchmarks read it (the monitor's `status()`; src/live/core/status.ts,
 * restated here because that module's imports need the Workers types).
 */
export interface MonitorStatus {
  connection: { state: string; reconnects: number; connected_since: string | null };
  subscriptions: number;
  events: Record<
    | "received"
    | "applied"
    | "unroutable"
    | "unsubscribed"
    | "invalid"
    | "stale"
    | "no_equity"
    | "acks"
    | "service_errors",
    number
  >;
  pending_writes: number;
  lag: { samples: number; p50_ms: number | null; p99_ms: number | null; max_ms: number | null };
  /** Outbox entries set aside after failing on their own. */
  dead_letters: number;
  /** Risk rows rewritten per persist tick (absent before this field existed). */
  rows_persisted_per_tick?: { last: number; max: number; backlog: number };
}

export interface StackOptions {
  /** Worker var `POLL_INLINE_MAX` (accounts the cron polls itself before using the Queue). */
  pollInlineMax?: number;
  /** More Worker vars (e.g. `ALLOW_LOOPBACK_WEBHOOKS`). */
  vars?: Record<string, string>;
  /**
   * A Worker entry (JavaScript source) that wraps `./src/index.ts` for a benchmark (e.g. routes
   * to named monitor shards, shard-entry.ts); written beside the copy and made its `main`.
   */
  entrySource?: string;
}

export interface Stack {
  pg: LocalPostgres & { engine: string };
  /** The simulator, in its own thread (sim-thread.ts). */
  sim: SimHandle;
  worker: LocalWorker;
  /** A pool for the benchmark's own queries (4 connections). */
  db: DbHandle;
  adminToken: string;
  /** The port of wrangler's inspector (Chrome DevTools protocol) for the Worker's isolate. */
  inspectorPort: number;
  /** Calls the admin API with the bearer token; throws on a non-2xx answer. */
  admin<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  /** `GET /v1/monitor`. */
  monitor(): Promise<MonitorStatus>;
  /** Calls the simulator's control API; throws on a non-2xx answer unless `allow` lists the status. */
  control<T>(path: string, body?: unknown, method?: string, allow?: number[]): Promise<T>;
  /** The workerd process of this wrangler dev, or null. */
  workerdPid(): number | null;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free when asked; the OS may hand it out later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  pgrp: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const rest = text.slice(close + 2).split(" ");
    // Fields after the comm, 0-based: state, ppid, pgrp, session, tty, tpgid, flags, minflt,
    // cminflt, majflt, cmajflt, utime (11), stime (12).
    return {
      pid,
      comm,
      ppid: Number(rest[1]),
      pgrp: Number(rest[2]),
      cpuTicks: Number(rest[11]) + Number(rest[12]),
    };
  } catch {
    return null;
  }
}

/** Processes in a process group (wrangler dev is spawned detached: its group is its pid). */
function processGroup(pgrp: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s && s.pgrp === pgrp) out.push(s);
  }
  return out;
}

/**
 * The workerd process that runs the Worker and the Durable Object. wrangler dev starts two:
 * a proxy in front (listening on the dev port) and the runtime behind it, the one started with
 * an inspector address.
 */
function runtimePid(wranglerPid: number): number | null {
  const workerds = processGroup(wranglerPid).filter((p) => p.comm === "workerd");
  for (const p of workerds) {
    try {
      if (readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("--inspector-addr")) return p.pid;
    } catch {
      // gone
    }
  }
  return workerds[0]?.pid ?? null;
}

/** Resident set size of a process, bytes (VmRSS of /proc/<pid>/status); null if gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time the whole machine has been busy so far (every core, every process), seconds. */
export function machineBusySeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal ...
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - fields[3]! - fields[4]!) / 100;
}

/** CPU time a process has used so far (user + system), seconds; null if gone. */
export function cpuSeconds(pid: number): number | null {
  const s = readStat(pid);
  return s ? s.cpuTicks / 100 : null;
}

/**
 * Copies `src/`, `wrangler.toml` and the built console into `dir` (inside the repository, so `node_modules`
 * resolves). Returns the config path of the copy.
 */
function snapshotWorker(dir: string, entrySource?: string): string {
  cpSync(`${root}src`, `${dir}/src`, { recursive: true });
  copyFileSync(`${root}wrangler.toml`, `${dir}/wrangler.toml`);
  if (entrySource !== undefined) {
    writeFileSync(`${dir}/bench-entry.js`, entrySource);
    const toml = readFileSync(`${dir}/wrangler.toml`, "utf8");
    writeFileSync(`${dir}/wrangler.toml`, toml.replace(/^main = .*$/m, 'main = "bench-entry.js"'));
  }
  // The console's built assets ([assets] in wrangler.toml, relative to the config).
  cpSync(`${root}dist/console`, `${dir}/dist/console`, { recursive: true });
  return `${dir}/wrangler.toml`;
}

/**
 * `BENCH_DATABASE_URL` (a Postgres on this machine, e.g. Debian's PostgreSQL 15 as .ci/run
 * starts it; the role needs CREATEDB): a new database on that server for this run, migrated,
 * reached through the WebSocket relay as the Worker reaches Neon, dropped at the end. Unset:
 * the embedded PGlite, in memory.
 */
async function benchPostgres(): Promise<LocalPostgres & { engine: string }> {
  const server = process.env.BENCH_DATABASE_URL;
  if (!server) return { ...(await startPostgres()), engine: "PGlite" };
  if (!isLoopbackUrl(server))
    throw new Error("bench: BENCH_DATABASE_URL must name a Postgres on this machine");
  const conn = await connectDatabase(server);
  const name = `sentinel_bench_${randomBytes(5).toString("hex")}`;
  const admin = openDb(conn.config, 1);
  try {
    await admin.pool.query(`create database "${name}"`);
  } finally {
    await admin.close();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  const config = { DATABASE_URL: url.toString(), DB_WS_PROXY: conn.config.DB_WS_PROXY };
  await migrateDatabase(config);
  return {
    engine: `PostgreSQL at ${redactUrl(url.toString())}`,
    databaseUrl: config.DATABASE_URL,
    wsProxy: config.DB_WS_PROXY!,
    async close() {
      const drop = openDb(conn.config, 1);
      try {
        // FORCE (Postgres 13+): a connection the Worker left open must not keep it alive.
        await drop.pool.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await drop.close();
        await conn.close();
      }
    },
  };
}

/** Starts Postgres, the simulator and the Worker; registers their shutdown as a cleanup. */
export async function startStack(bench: string, opts: StackOptions = {}): Promise<Stack> {
  const started = Date.now();
  mkdirSync(`${root}.wrangler`, { recursive: true });
  const stateDir = mkdtempSync(`${root}.wrangler/bench-${bench}-`);
  const stops: Array<() => Promise<void>> = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    while (stops.length) await stops.pop()!().catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  };
  onCleanup(close);

  const config = snapshotWorker(stateDir, opts.entrySource);
  const [pg, sim] = await Promise.all([benchPostgres(), startSimThread({ seed: 42, verbose })]);
  stops.push(() => pg.close());
  stops.push(() => sim.close());
  const db = openDb({ DATABASE_URL: pg.databaseUrl, DB_WS_PROXY: pg.wsProxy }, 4);
  stops.push(() => db.close());

  const adminToken = `bench-${crypto.randomUUID()}`;
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const vars: Record<string, string | undefined> = {
    DATABASE_URL: pg.databaseUrl,
    DB_WS_PROXY: pg.wsProxy,
    MTAPI_URL: sim.mtapiUrl,
    EVENTS_URL: sim.eventsUrl,
    ADMIN_TOKEN: adminToken,
    // The console's cookie key and the key sealing secrets at rest (docs/security.md).
    SESSION_SECRET: newSealKey(),
    SECRETS_KEY: newSealKey(),
    POLL_INLINE_MAX: opts.pollInlineMax === undefined ? undefined : String(opts.pollInlineMax),
    ...opts.vars,
  };
  const worker = await startWorker({
    port,
    vars,
    varsFile: `${stateDir}/bench.vars`,
    stdio: verbose ? "inherit" : "ignore",
    args: [
      "--config",
      config,
      "--persist-to",
      `${stateDir}/state`,
      "--inspector-port",
      String(inspectorPort),
    ],
    onSpawn: (stop) => stops.push(stop),
  });
  note(
    bench,
    `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (worker ${worker.base}, sim ${sim.url}, ${pg.engine})`,
  );

  const admin = async <T>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<T> => {
    const method = init.method ?? (init.body === undefined ? "GET" : "POST");
    const send = () =>
      fetch(`${worker.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    // A kept-alive connection that wrangler's proxy closed while idle fails the next request
    // ("other side closed"): a GET is safe to send again.
    const res = await send().catch((err: unknown) => {
      if (method !== "GET") throw err;
      return send();
    });
    if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const control = async <T>(
    path: string,
    body?: unknown,
    method?: string,
    allow: number[] = [],
  ): Promise<T> => {
    const res = await fetch(`${sim.url}/control${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok && !allow.includes(res.status))
      throw new Error(`sim ${path}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    return (await res.json()) as T;
  };
  return {
    pg,
    sim,
    worker,
    db,
    adminToken,
    inspectorPort,
    admin,
    monitor: () => admin<MonitorStatus>("/v1/monitor"),
    control,
    workerdPid: () => {
      const pid = worker.child.pid;
      return pid ? runtimePid(pid) : null;
    },
    close,
  };
}

/**
 * Waits until the simulator sees exactly `n` subscribed sessions, reading the count its thread
 * keeps (refreshed every 10 ms) every `everyMs`. (`POST /control/wait` would re-check on every
 * subscribe frame and build the whole subscription list each time: O(N^2) at 10,000.)
 * Resolves with the wall time it waited (ms); throws on timeout.
 */
export async function waitForSubscriptions(
  sim: SimHandle,
  n: number,
  timeoutMs: number,
  everyMs = 20,
): Promise<number> {
  const started = performance.now();
  sim.watch(true);
  try {
    for (;;) {
      const count = sim.subscriptions();
      if (count === n) return performance.now() - started;
      if (performance.now() - started > timeoutMs)
        throw new Error(
          `simulator has ${count} subscriptions, expected ${n}, after ${timeoutMs} ms`,
        );
      await sleep(everyMs);
    }
  } finally {
    sim.watch(false);
  }
}
