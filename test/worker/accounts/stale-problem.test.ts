/**
 * The `stale` problem (docs/api.md, "Problems"; docs/alerts.md): an active account with no
 * reading past its window (live 90 s, polled 110 s) is marked `stale` with `problem_since`,
 * alerted once when it appears and once when a reading clears it. The clock of the judgement
 * is injected; nothing here waits on wall-clock time.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { markStaleAccounts } from "../../../src/accounts/stale.ts";
import { accounts } from "../../../src/db/schema.ts";
import { takeLease } from "../../../src/poll/lease.ts";
import { createTestAccount, getAccount, runCron, withTestDb } from "../helpers.ts";
import { api } from "../api/helpers.ts";
import { messagesAbout } from "../alerts/sink-helpers.ts";

const poll = (ids: number[]) => api("POST", "/v1/poll", { json: { account_ids: ids } });
const markAt = (now: number) => withTestDb((db) => markStaleAccounts(db, now));
/** When the account was last read (epoch ms), as the judgement sees it. */
async function lastReadAt(id: number): Promise<number> {
  const row = await getAccount(id);
  return row.riskState?.last_at ?? row.createdAt.getTime();
}

describe("the stale problem", () => {
  it("marks a polled account past 110 s once, shows it, and a reading clears it: one alert each way", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    expect((await poll([a.id])).body).toMatchObject({ polled: 1, errors: 0 });
    const read = await lastReadAt(a.id);

    expect(await markAt(read + 100_000)).not.toContain(a.id);
    expect((await getAccount(a.id)).problem).toBeNull();
    expect(await markAt(read + 111_000)).toContain(a.id);
    expect(await markAt(read + 300_000)).not.toContain(a.id);
    const row = await getAccount(a.id);
    expect(row.problem).toBe("stale");
    expect(row.problemSince).toBeInstanceOf(Date);
    const shown = await api("GET", `/v1/accounts/${a.id}`);
    expect(shown.body).toMatchObject({
      problem: "stale",
      problem_since: row.problemSince!.toISOString(),
    });

    expect((await poll([a.id])).body).toMatchObject({ polled: 1, errors: 0 });
    const after = await getAccount(a.id);
    expect(after.problem).toBeNull();
    expect(after.problemSince).toBeNull();
    const alerts = (await messagesAbout(a.id)).filter((m) => m.type === "account.problem");
    expect(alerts.map((m) => m.payload.data)).toMatchObject([
      { problem: "stale", detail: { change: "appeared", problem: "stale" } },
      { problem: null, detail: { change: "cleared", problem: "stale" } },
    ]);
    expect(alerts).toHaveLength(2);
  });

  it("judges a live account by 90 s, and leaves accounts with another problem, breached or deleted alone", async () => {
    const live = await createTestAccount({ monitoring_state: "live", inSim: false });
    const polled = await createTestAccount({ inSim: false });
    const failing = await createTestAccount({ inSim: false });
    const breached = await createTestAccount({ inSim: false });
    const deleted = await createTestAccount({ inSim: false });
    await withTestDb(async (db) => {
      await db
        .update(accounts)
        .set({ problem: "token_invalid", problemSince: new Date() })
        .where(eq(accounts.id, failing.id));
      await db.update(accounts).set({ status: "breached" }).where(eq(accounts.id, breached.id));
    });
    expect((await api("DELETE", `/v1/accounts/${deleted.id}`)).status).toBe(204);
    // Never read: judged from creation. Every one was created before `start`.
    const start = Math.max(...(await Promise.all([live, polled].map((r) => lastReadAt(r.id)))));

    const at100 = await markAt(start + 100_000);
    expect(at100).toContain(live.id);
    expect(at100).not.toContain(polled.id);
    const at200 = await markAt(start + 200_000);
    expect(at200).toContain(polled.id);
    for (const other of [failing, breached, deleted]) expect(at200).not.toContain(other.id);
    expect((await getAccount(failing.id)).problem).toBe("token_invalid");
    expect((await getAccount(breached.id)).problem).toBeNull();
    expect((await getAccount(deleted.id)).problem).toBeNull();
  });

  it("is judged by the cron after its sweep: an account the sweep did not reach is marked", async () => {
    const a = await createTestAccount({ inSim: false });
    await withTestDb(async (db) => {
      // Never read, created 5 minutes ago; another sweep holds the lease, so this cron's
      // sweep passes (as when a sweep is cut short) and cannot read it.
      await db.execute(
        sql`update accounts set created_at = now() - interval '5 minutes' where id = ${a.id}`,
      );
      expect(await takeLease(db, "another-sweep")).toBe(true);
    });
    try {
      await runCron();
    } finally {
      await withTestDb((db) => db.execute(sql`delete from sweep_lease`));
    }
    const row = await getAccount(a.id);
    expect(row.problem).toBe("stale");
    expect(row.problemSince).toBeInstanceOf(Date);
  });
});
