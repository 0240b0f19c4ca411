import { env } from "cloudflare:workers";
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, webhookMessages } from "../../../src/db/schema.ts";
import { announcePollerHealth, runPollerHealth } from "../../../src/poll/poller-health.ts";
import { pollingCoverage } from "../../../src/poll/pollable.ts";
import { createTestAccount, withTestDb } from "../helpers.ts";

/** Sets the account's last reading `agoS` seconds before `now` (its risk state's `last_at`). */
async function lastReadAgo(id: number, now: number, agoS: number): Promise<void> {
  await withTestDb((db) =>
    db
      .update(accounts)
      .set({
        riskState: sql`jsonb_set(coalesce(${accounts.riskState}, '{}'::jsonb), '{last_at}', to_jsonb(${now - agoS * 1000}::float8))`,
      })
      .where(eq(accounts.id, id)),
  );
}

async function healthMessages() {
  const rows = await withTestDb((db) =>
    db
      .select()
      .from(webhookMessages)
      .where(inArray(webhookMessages.type, ["monitor.degraded", "monitor.recovered"]))
      .orderBy(webhookMessages.createdAt),
  );
  return rows.map((r) => ({ type: r.type, data: r.payload.data }));
}

describe("the poller's health announcements", () => {
  it("says degraded before a polled account reaches 120 s unread (the promise), not only past 180 s", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    const now = Date.now();
    await lastReadAgo(a.id, now, 100);
    expect((await withTestDb((db) => pollingCoverage(db, now))).accounts_stale).toBe(0);
    await lastReadAgo(a.id, now, 115);
    const coverage = await withTestDb((db) => pollingCoverage(db, now));
    expect(coverage.accounts_stale).toBeGreaterThanOrEqual(1);
    expect(coverage.max_unwatched_s).toBeGreaterThanOrEqual(115);
    // Out of the pollable set, so no later test finds it stale.
    await withTestDb((db) =>
      db.update(accounts).set({ status: "disabled" }).where(eq(accounts.id, a.id)),
    );
  });

  it("announces monitor.degraded once when a polled account goes unread past its window, and monitor.recovered once when it is read again", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    const now = Date.now();
    await lastReadAgo(a.id, now, 30);
    expect(await withTestDb((db) => announcePollerHealth(db, now))).toBeNull();
    expect(await healthMessages()).toEqual([]);

    await lastReadAgo(a.id, now, 200);
    expect(await withTestDb((db) => announcePollerHealth(db, now))).not.toBeNull();
    expect(await withTestDb((db) => announcePollerHealth(db, now + 60_000))).toBeNull();
    expect(await healthMessages()).toEqual([
      {
        type: "monitor.degraded",
        data: { health: "degraded", reasons: ["accounts_stale"], monitor: "poller" },
      },
    ]);

    await lastReadAgo(a.id, now + 120_000, 5);
    await runPollerHealth(env, now + 120_000);
    await runPollerHealth(env, now + 180_000);
    expect((await healthMessages()).map((m) => m.type)).toEqual([
      "monitor.degraded",
      "monitor.recovered",
    ]);
  });
});
