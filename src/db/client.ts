/**
 * The one way code reaches Postgres: drizzle over `@neondatabase/serverless` WebSockets
 * (`Pool`), in production and locally alike.
 *
 * Why the WebSocket driver and not `neon()` over HTTP: the live monitor writes batches
 * in interactive transactions (insert violations, update accounts, read back what changed),
 * and the HTTP driver has none; one pooled socket per invocation also costs a single
 * subrequest where HTTP costs one per query, which matters for the cron's subrequest limit.
 * A Pool must not outlive the invocation that made it (Workers I/O is bound to its request),
 * so callers open one per invocation or batch and `end()` it when done.
 *
 * Locally (`npm run dev`, tests) the same driver talks to an embedded Postgres through a
 * loopback WebSocket-to-TCP relay: set `DB_WS_PROXY` (e.g. `127.0.0.1:5491/v1`); see
 * docs/platform.md, "Neon driver". Production leaves it unset.
 */
import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema.ts";

export type Db = NeonDatabase<typeof schema>;

/** What the database needs from the environment. */
export interface DbConfig {
  /** Postgres connection string. */
  DATABASE_URL: string;
  /** Dev only: `host:port/path` of a plain-ws relay in front of a local Postgres. */
  DB_WS_PROXY?: string | undefined;
}

export interface DbHandle {
  db: Db;
  pool: Pool;
  /** Closes the pool's sockets; safe to call twice. */
  close(): Promise<void>;
}

function configureDriver(proxy: string | undefined): void {
  if (!proxy) return;
  neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** Postgres cancels a statement, or ends a transaction left idle, after this long (ms). */
export const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * Opens a pool for one invocation (or one batch in the live monitor).
 * @param max the most connections it opens at once (Workers allow 6 open per invocation).
 */
export function openDb(config: DbConfig, max = 4): DbHandle {
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  configureDriver(config.DB_WS_PROXY);
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    max,
    connectionTimeoutMillis: 10_000,
    // No statement and no open transaction may hang a writer (the monitor's flush, the sweep).
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: STATEMENT_TIMEOUT_MS,
  });
  // An idle client's socket error must not become an unhandled rejection that kills the isolate.
  pool.on("error", () => {});
  // Nor a busy client's: its query fails on its own, but the socket's `error` event with no
  // listener is thrown out of band, and in the live monitor that tore down the invocation
  // whose flush then never settled (docs/never-blind.md).
  pool.on("connect", (client: PoolClient) => {
    client.on("error", () => {});
  });
  let closed = false;
  return {
    db: drizzle({ client: pool, schema }),
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => {});
    },
  };
}

/** Runs `fn` with a fresh pool and always closes it. */
export async function withDb<T>(config: DbConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = openDb(config);
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/**
 * Runs `fn` over a one-connection pool opened for it, within `deadlineMs`: past the deadline
 * the pool is closed and the call fails (an outage to its caller, retried later), so a hung
 * query never stalls a Durable Object's writer, alarm or watchdog.
 * @param what names the work in the deadline's error ("flush", "health recording").
 */
export async function withDbDeadline<T>(
  config: DbConfig,
  deadlineMs: number,
  what: string,
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  const handle = openDb(config, 1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void handle.close();
      reject(new Error(`${what} deadline of ${deadlineMs} ms passed`));
    }, deadlineMs);
  });
  const work = fn(handle.db);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    work.catch(() => {});
    await handle.close();
  }
}
