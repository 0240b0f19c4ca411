/**
 * Runs around every workerd test file (vitest.config.ts `setupFiles`): each file starts from
 * a known database (every table of the app emptied) and a simulator with no accounts and no
 * connections, and leaves no live rows or subscribed monitors behind, even when a test fails.
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll } from "vitest";
import { allShards, monitorOfShard } from "../../src/live/client/address.ts";
import { sim, trackedMonitors, withTestDb } from "./helpers.ts";

/** Empties every table of the app's schema (the migrations' own table lives elsewhere). */
async function emptyDatabase(): Promise<void> {
  await withTestDb(async (db) => {
    const { rows } = await db.execute<{ name: string }>(
      sql`select quote_ident(tablename) as name from pg_tables where schemaname = 'public'`,
    );
    if (rows.length === 0) return;
    await db.execute(sql.raw(`truncate ${rows.map((r) => r.name).join(", ")} cascade`));
  });
}

/** Unsubscribes everything from the shared monitor and from the monitors the test opened. */
async function releaseMonitors(): Promise<void> {
  const named = trackedMonitors.splice(0).map((name) => env.LIVE_MONITOR.getByName(name));
  const monitors = [...allShards(env).map((i) => monitorOfShard(env, i)), ...named];
  for (const monitor of monitors) {
    const subs = await monitor.subscriptions();
    if (subs.length) await monitor.unsubscribe(subs.map((s) => s.account_id));
  }
}

beforeAll(async () => {
  await emptyDatabase();
  await sim("/reset", {});
});

afterEach(async () => {
  await releaseMonitors();
});

afterAll(async () => {
  await emptyDatabase();
});
