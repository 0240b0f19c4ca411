/**
 * Starts the real parts the workerd tests run against, on free loopback ports (never fixed:
 * tests must run while `npm run dev` is up): a Postgres behind its WebSocket relay, and the
 * bundled MTAPI/Events simulator. Their URLs reach the Worker as bindings (vitest.config.ts).
 *
 * Postgres is the embedded PGlite (one in-memory database for the run), or, when
 * `TEST_DATABASE_URL` names a server on this machine, that server: each test file then gets
 * a database of its own, dropped when the run ends (dev/test-databases.ts).
 */
import type { TestProject } from "vitest/node";
import { checkDatabase, connectDatabase, isLoopbackUrl } from "../dev/database.ts";
import { startPostgres } from "../dev/postgres.ts";
import { dropTestDatabases, newRunPrefix, type TestDatabase } from "../dev/test-databases.ts";
import { startWebhookSink } from "../dev/webhook-sink.ts";
import { startSimulator } from "../sim/simulator.ts";

declare module "vitest" {
  export interface ProvidedContext {
    testDatabase: TestDatabase;
    simUrl: string;
    eventsUrl: string;
    /** The webhook receiver (dev/webhook-sink.ts). */
    sinkUrl: string;
  }
}

/** A started Postgres: what the files get, and how to stop it. */
interface TestPostgres {
  database: TestDatabase;
  close(): Promise<void>;
}

async function startTestPostgres(): Promise<TestPostgres> {
  const native = process.env.TEST_DATABASE_URL;
  if (!native) {
    const pg = await startPostgres();
    return {
      database: { databaseUrl: pg.databaseUrl, dbWsProxy: pg.wsProxy, perFilePrefix: "" },
      close: () => pg.close(),
    };
  }
  // The fault tests take the database away through the relay, so it must be ours.
  if (!isLoopbackUrl(native))
    throw new Error(
      "test: TEST_DATABASE_URL must name a Postgres on this machine (127.0.0.1, localhost or ::1)",
    );
  const conn = await connectDatabase(native);
  const problem = await checkDatabase(conn.config, {
    migrated: false,
    who: "test (TEST_DATABASE_URL)",
  });
  if (problem) {
    await conn.close();
    throw new Error(problem.message);
  }
  const prefix = newRunPrefix();
  return {
    database: { databaseUrl: native, dbWsProxy: conn.config.DB_WS_PROXY!, perFilePrefix: prefix },
    async close() {
      await dropTestDatabases(conn.config, prefix);
      await conn.close();
    },
  };
}

export default async function setup(project: TestProject) {
  const [pg, sim, sink] = await Promise.all([
    startTestPostgres(),
    startSimulator({ port: 0 }),
    startWebhookSink(),
  ]);
  project.provide("testDatabase", pg.database);
  project.provide("simUrl", sim.url);
  project.provide("eventsUrl", sim.eventsUrl);
  project.provide("sinkUrl", sink.url);
  return async () => {
    await sink.close();
    await sim.close();
    await pg.close();
  };
}
