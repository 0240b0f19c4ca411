/**
 * `npm run db:migrate`: applies the SQL migrations in drizzle/ to `DATABASE_URL`. A loopback
 * URL (your own Postgres) gets its WebSocket relay started here, and its database created when
 * missing; any other URL (Neon) is used as given; `DB_WS_PROXY` names a relay of your own instead. Running it twice is a no-op.
 */
import {
  checkDatabase,
  connectDatabase,
  ensureDatabase,
  isLoopbackUrl,
  redactUrl,
} from "../dev/database.ts";
import { migrateDatabase } from "../dev/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    "db:migrate: set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/sentinel npm run db:migrate",
  );
  process.exit(2);
}
const database = await connectDatabase(url, process.env.DB_WS_PROXY || undefined);
try {
  const opts = { migrated: false, who: "db:migrate" };
  const { problem, created } = isLoopbackUrl(url)
    ? await ensureDatabase(database.config, opts)
    : { problem: await checkDatabase(database.config, opts), created: false };
  if (created) console.log(`db:migrate: created the database of ${redactUrl(url)}`);
  if (problem) {
    console.error(problem.message);
    process.exitCode = 1;
  } else {
    const applied = await migrateDatabase(database.config);
    console.log(
      `db:migrate: ${redactUrl(url)}: ${applied === 0 ? "already up to date" : `applied ${applied} migration(s)`}`,
    );
  }
} catch (err) {
  console.error(
    `db:migrate: ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exitCode = 1;
} finally {
  await database.close();
}
