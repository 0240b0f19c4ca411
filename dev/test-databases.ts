/**
 * The test suite on your own Postgres (`TEST_DATABASE_URL`): every workerd test file gets a
 * database of its own, created and migrated when Vitest starts the file's runtime and dropped
 * when the run ends, so files never see each other's rows and nothing is left behind on the
 * server. PGlite (the default) keeps one shared in-memory database instead.
 *
 * Why a database per file and not a schema: the Worker reaches Postgres with the production
 * driver and the production queries, which name no schema; a database needs nothing but a
 * different name in `DATABASE_URL`. Why not truncate between files: a file's Durable Object
 * and queue work can still be writing when the next file starts.
 */
import { randomBytes } from "node:crypto";
import { openDb, type DbConfig } from "../src/db/client.ts";
import { migrateDatabase } from "./migrate.ts";

/** What the global setup hands to the per-file step (Vitest `provide`). */
export interface TestDatabase {
  /** The database every file uses, or (per-file mode) the server's maintenance database. */
  databaseUrl: string;
  /** The relay in front of it. */
  dbWsProxy: string;
  /** Per-file mode: the name prefix of the databases this run creates; "" for one shared database. */
  perFilePrefix: string;
}

/** A prefix no other run uses: `sentinel_test_<hex>` (Postgres names: at most 63 bytes). */
export function newRunPrefix(): string {
  return `sentinel_test_${randomBytes(5).toString("hex")}`;
}

/**
 * The database config for one test file: the shared one, or (per-file mode) a new database
 * on the same server, migrated.
 */
export async function databaseForFile(t: TestDatabase): Promise<DbConfig> {
  const shared = { DATABASE_URL: t.databaseUrl, DB_WS_PROXY: t.dbWsProxy };
  if (!t.perFilePrefix) return shared;
  const name = `${t.perFilePrefix}_${randomBytes(4).toString("hex")}`;
  const admin = openDb(shared, 1);
  try {
    await admin.pool.query(`create database "${name}"`);
  } finally {
    await admin.close();
  }
  const url = new URL(t.databaseUrl);
  url.pathname = `/${name}`;
  const config = { DATABASE_URL: url.toString(), DB_WS_PROXY: t.dbWsProxy };
  await migrateDatabase(config);
  return config;
}

/** Drops every database whose name starts with `prefix`; returns how many it dropped. */
export async function dropTestDatabases(admin: DbConfig, prefix: string): Promise<number> {
  if (!/^sentinel_test_[0-9a-f]+$/.test(prefix)) throw new Error(`refusing prefix ${prefix}`);
  const handle = openDb(admin, 1);
  try {
    const res = await handle.pool.query<{ datname: string }>(
      "select datname from pg_database where left(datname, length($1)) = $1",
      [prefix],
    );
    for (const { datname } of res.rows) {
      // FORCE (Postgres 13+): a connection a test left open must not keep the database alive.
      await handle.pool.query(`drop database if exists "${datname}" with (force)`);
    }
    return res.rows.length;
  } finally {
    await handle.close();
  }
}
