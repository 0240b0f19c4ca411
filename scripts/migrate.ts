/**
 * `npm run db:migrate`: applies the SQL migrations in drizzle/ to `DATABASE_URL` (Neon or any
 * Postgres reachable through the Neon driver; set `DB_WS_PROXY` for a local one).
 */
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import { openDb, type DbConfig } from "../src/db/client.ts";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Applies every pending migration; idempotent. */
export async function migrateDatabase(config: DbConfig): Promise<void> {
  const handle = openDb(config, 1);
  try {
    await migrate(handle.db, { migrationsFolder });
  } finally {
    await handle.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("db:migrate: set DATABASE_URL (and DB_WS_PROXY for a local Postgres)");
    process.exit(2);
  }
  await migrateDatabase({ DATABASE_URL: url, DB_WS_PROXY: process.env.DB_WS_PROXY });
  console.log("db:migrate: migrations applied");
}
