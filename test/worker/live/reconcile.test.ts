import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts } from "../../../src/db/schema.ts";
import { monitorOfShard } from "../../../src/live/client/address.ts";
import { toSubscribeInput } from "../../../src/live/client/handoff.ts";
import { reconcileLive } from "../../../src/live/client/reconcile-shards.ts";
import { createTestAccounts, withTestDb } from "../helpers.ts";
import { emit, freshMonitor, simWait } from "./live-helpers.ts";

async function setState(ids: number[], state: "live" | "polling"): Promise<void> {
  await withTestDb((db) =>
    db.update(accounts).set({ monitoringState: state }).where(inArray(accounts.id, ids)),
  );
}

describe("reconciliation with Postgres", () => {
  it("subscribes accounts set live in SQL and unsubscribes those set back to polling", async () => {
    const rows = await createTestAccounts(3, { inSim: false });
    const ids = rows.map((r) => r.id);
    const sessions = rows.map((r) => r.sessionId);
    // The seed's own test: UPDATE accounts SET monitoring_state = 'live' WHERE id IN (...).
    await setState(ids, "live");
    await reconcileLive(env);
    const subscribed = (await monitorOfShard(env, 0).subscriptions()).map((s) => s.account_id);
    expect(subscribed).toEqual(expect.arrayContaining(ids));
    await simWait({ subscribed: sessions });

    await setState([ids[0]!], "polling");
    await withTestDb((db) =>
      db.update(accounts).set({ status: "disabled" }).where(eq(accounts.id, ids[1]!)),
    );
    await reconcileLive(env);
    const after = (await monitorOfShard(env, 0).subscriptions()).map((s) => s.account_id);
    expect(after).toContain(ids[2]);
    expect(after).not.toContain(ids[0]);
    expect(after).not.toContain(ids[1]);
    await simWait({ unsubscribed: [sessions[0]!, sessions[1]!] });
    await setState([ids[2]!], "polling");
    await reconcileLive(env);
  });

  it("never undoes a change newer than the snapshot it reconciles against", async () => {
    const monitor = freshMonitor();
    const [fresh, released, keep] = await createTestAccounts(3, { equity: 95_400 });
    const snapshotAt = Date.now() - 1;
    // Subscribed after the snapshot was read: stays, although the snapshot does not list it.
    await monitor.subscribe([toSubscribeInput(fresh!), toSubscribeInput(keep!)]);
    // Released by the monitor after the snapshot (usage fell below the exit threshold):
    // the snapshot still lists it as live, but it is not taken back.
    await monitor.subscribe([toSubscribeInput(released!)]);
    await simWait({ subscribed: [released!.sessionId] });
    await emit({
      type: "OrderProfit",
      session_id: released!.sessionId,
      data: { balance: 100_000, equity: 100_000 },
    });
    await simWait({ unsubscribed: [released!.sessionId] });
    const result = await monitor.reconcile(snapshotAt, [
      toSubscribeInput(released!),
      toSubscribeInput(keep!),
    ]);
    expect(result).toEqual({ added: 0, removed: 0 });
    const subs = (await monitor.subscriptions()).map((s) => s.account_id).sort();
    expect(subs).toEqual([fresh!.id, keep!.id].sort());
    // A snapshot taken now is the truth: the unlisted account goes.
    expect(await monitor.reconcile(Date.now() + 1, [toSubscribeInput(keep!)])).toEqual({
      added: 0,
      removed: 1,
    });
  });
});
