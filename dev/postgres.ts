/**
 * The embedded Postgres of `npm run dev`, the tests and the benchmarks: PGlite (Postgres
 * compiled to WASM, from npm) served over the wire protocol by `@electric-sql/pglite-socket`,
 * with the WebSocket relay in front so the Worker reaches it through the Neon driver exactly
 * as it reaches Neon. No Docker, no system service.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startRelay } from "./relay.ts";
import { migrateDatabase } from "./migrate.ts";

export interface LocalPostgres {
  /** Connection string for `DATABASE_URL`. */
  databaseUrl: string;
  /** Value for `DB_WS_PROXY`. */
  wsProxy: string;
  close(): Promise<void>;
}

export interface LocalPostgresOptions {
  /** Folder that keeps the data between runs; in memory when omitted. */
  dataDir?: string;
  /** TCP port of the wire-protocol server (0: a free one). */
  port?: number;
  /** Port of the WebSocket relay (0: a free one). */
  relayPort?: number;
  /** Apply the migrations (default true; false leaves an empty database, for tests). */
  migrate?: boolean;
}

/** Starts PGlite, its socket server and the relay, and (by default) applies the migrations. */
export async function startPostgres(opts: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const db = await PGlite.create(opts.dataDir ? { dataDir: opts.dataDir } : {});
  // Connections are multiplexed onto the one PGlite instance; transactions keep their connection.
  const server = new PGLiteSocketServer({
    db,
    port: opts.port ?? 0,
    host: "127.0.0.1",
    maxConnections: 1000,
  });
  await server.start();
  const [, port] = server.getServerConn().split(":");
  const relay = await startRelay(opts.relayPort ?? 0);
  const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  if (opts.migrate ?? true)
    await migrateDatabase({ DATABASE_URL: databaseUrl, DB_WS_PROXY: relay.proxy });
  return {
    databaseUrl,
    wsProxy: relay.proxy,
    async close() {
      await relay.close();
      await server.stop();
      await db.close();
    },
  };
}
