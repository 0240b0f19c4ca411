/**
 * The SQL migrations in `drizzle/`, applied with drizzle's migrator through the production
 * driver (Neon `Pool`), and a read-only count of what a database still lacks. Used by
 * `npm run db:migrate`, `npm run dev`, the tests and the benchmarks.
 *
 * drizzle records each applied migration in `drizzle.__drizzle_migrations` with its journal
 * timestamp and applies only those newer than the last one recorded, so a second run is a
 * no-op. A session advisory lock makes two runs at once (two `npm run dev`, or dev and
 * `db:migrate`) take turns instead of both applying the same file.
 */
import { fileURLToPath } from "node:url";
import type { Pool } from "@neondatabase/serverless";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import { openDb, type DbConfig } from "../src/db/client.ts";

/** The folder drizzle-kit writes to (`npm run db:generate`). */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Any fixed 64-bit key; only migrators of this project take it. */
const MIGRATION_LOCK = 7_406_113_502;

export interface MigrationState {
  /** Migrations in `drizzle/`. */
  total: number;
  /** Migrations in `drizzle/` the database has not recorded yet. */
  pending: number;
}

/** Counts the migrations of `drizzle/` not yet applied to the database; changes nothing. */
export async function migrationState(config: DbConfig): Promise<MigrationState> {
  const files = readMigrationFiles({ migrationsFolder });
  const handle = openDb(config, 1);
  try {
    const last = (await recorded(handle.pool)).last;
    return { total: files.length, pending: files.filter((m) => m.folderMillis > last).length };
  } finally {
    await handle.close();
  }
}

/** Applies every pending migration; returns how many it applied (0 when up to date). */
export async function migrateDatabase(config: DbConfig): Promise<number> {
  // One connection: the advisory lock belongs to the session the migrator then uses.
  const handle = openDb(config, 1);
  try {
    await handle.pool.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const before = (await recorded(handle.pool)).count;
    await migrate(handle.db, { migrationsFolder });
    const after = (await recorded(handle.pool)).count;
    await handle.pool.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    return after - before;
  } finally {
    await handle.close();
  }
}

/** How many migrations the database has recorded, and the journal time of the last (-1: none). */
async function recorded(pool: Pool): Promise<{ count: number; last: number }> {
  // Two statements: a query naming a missing table fails even in an untaken branch.
  const table = await pool.query<{ t: string | null }>(
    "select to_regclass('drizzle.__drizzle_migrations')::text as t",
  );
  if (!table.rows[0]?.t) return { count: 0, last: -1 };
  const res = await pool.query<{ n: number; last: string | null }>(
    "select count(*)::int as n, max(created_at)::text as last from drizzle.__drizzle_migrations",
  );
  return { count: Number(res.rows[0]?.n ?? 0), last: Number(res.rows[0]?.last ?? -1) };
}
