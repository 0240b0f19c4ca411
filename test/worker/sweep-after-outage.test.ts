/**
 * A sweep cut short by a database outage (docs/never-blind.md): the polled accounts it had
 * not yet read are read as soon as the database answers, not a cron tick (or a stuck lease's
 * 90 s) later, and the sweep reads the accounts longest unread first.
 */
import { env } from "cloudflare:workers";
import { inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts } from "../../src/db/schema.ts";
import { selectSweepOrder } from "../../src/poll/pollable.ts";
import { dispatchSweep } from "../../src/poll/sweep.ts";
import {
  createTestAccount,
  createTestAccounts,
  database,
  getAccount,
  sim,
  withTestDb,
} from "./helpers.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a sweep cut short by a database outage", () => {
  it("reads its accounts as soon as the database answers and leaves the lease free", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 99_000 });
    await sim("/delay", { ms: 1_500 });
    let outcome: unknown;
    try {
      // MTAPI answers after 1.5 s; the database goes away at 0.5 s and comes back at 6 s:
      // the sweep's reads cannot be written, and giving the lease back fails for 4.5 s.
      const sweep = dispatchSweep(env).catch((err: unknown) => err);
      await pause(500);
      await database("down");
      await pause(5_500);
      await database("up");
      outcome = await sweep;
    } finally {
      await sim("/delay", { ms: 0 });
      await database("up");
    }
    // Read by the same sweep, once the database answered: not an error, not a tick later.
    expect(outcome).not.toBeInstanceOf(Error);
    expect((await getAccount(a.id)).metrics?.equity).toBe(99_000);
    // And the lease was given back: the next tick's sweep runs.
    expect((await dispatchSweep(env)).skipped).toBeUndefined();
  });

  it("runs when the database answers again if it was away as the tick started", async () => {
    const a = await createTestAccount({ balance: 100_000, equity: 98_500 });
    let outcome: unknown;
    try {
      await database("down");
      const sweep = dispatchSweep(env).catch((err: unknown) => err);
      await pause(3_000);
      await database("up");
      outcome = await sweep;
    } finally {
      await database("up");
    }
    expect(outcome).not.toBeInstanceOf(Error);
    expect((await getAccount(a.id)).metrics?.equity).toBe(98_500);
  });

  it("orders the pollable accounts longest unread first, never read first, and leaves out those read since", async () => {
    // Created in the reverse of the expected order, so the id order is not the answer.
    const [recent, old, never] = await createTestAccounts(3, { balance: 100_000 });
    const stamp = (id: number, at: number) =>
      withTestDb((db) =>
        db
          .update(accounts)
          .set({ riskState: sql`jsonb_build_object('last_at', ${at}::float8)` })
          .where(inArray(accounts.id, [id])),
      );
    const mine = [never!.id, old!.id, recent!.id];
    const now = Date.now();
    await stamp(old!.id, now - 100_000);
    await stamp(recent!.id, now - 10_000);
    const ours = (ids: number[]) => ids.filter((id) => mine.includes(id));
    try {
      expect(ours(await withTestDb((db) => selectSweepOrder(db)))).toEqual([
        never!.id,
        old!.id,
        recent!.id,
      ]);
      expect(ours(await withTestDb((db) => selectSweepOrder(db, now - 50_000)))).toEqual([
        never!.id,
        old!.id,
      ]);
    } finally {
      // Their hand-made states are no engine's: no other test's sweep may read them.
      await withTestDb((db) =>
        db.update(accounts).set({ status: "disabled" }).where(inArray(accounts.id, mine)),
      );
    }
  });
});
