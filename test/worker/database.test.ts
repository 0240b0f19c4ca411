import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import journal from "../../drizzle/meta/_journal.json";
import { withTestDb } from "./helpers.ts";

describe("the test database", () => {
  it("is the one DATABASE_URL names (a database of this file's own on a native server), fully migrated", async () => {
    const named = decodeURIComponent(new URL(env.DATABASE_URL).pathname.slice(1));
    const res = await withTestDb((db) =>
      db.execute<{ db: string; n: number }>(
        sql`select current_database() as db, (select count(*)::int from drizzle.__drizzle_migrations) as n`,
      ),
    );
    expect(res.rows[0]?.db).toBe(named);
    expect(Number(res.rows[0]?.n)).toBe(journal.entries.length);
  });
});
