import { env } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditOf } from "../fixtures.ts";
import { accounts, type AccountRow } from "../../../src/db/schema.ts";
import { monitorOfShard } from "../../../src/live/client/address.ts";
import { reconcileLive } from "../../../src/live/client/reconcile-shards.ts";
import type { ShardMove } from "../../../src/live/client/shard-plan.ts";
import { shardName, shardOf } from "../../../src/live/core/shard.ts";
import { MonitorStatusSchema } from "../../../src/http/monitor-schemas.ts";
import { api } from "../api/helpers.ts";
import {
  createTestAccounts,
  eventually,
  sim,
  trackMonitor,
  violationsOf,
  withTestDb,
} from "../helpers.ts";
import { simState, simWait } from "./live-helpers.ts";

/** The test env with another shard count (the handlers take their env as an argument). */
const withShards = (n: number): Env => ({ ...env, LIVE_SHARDS: String(n) });

/** Shards 1-3 are emptied after each test too (shard 0 always is: test/worker/setup.ts). */
function trackShards(): void {
  for (const i of [1, 2, 3]) trackMonitor(shardName(i));
}

async function setLive(ids: number[]): Promise<void> {
  await withTestDb((db) =>
    db.update(accounts).set({ monitoringState: "live" }).where(inArray(accounts.id, ids)),
  );
}

async function heldBy(shard: number): Promise<number[]> {
  return (await monitorOfShard(env, shard).subscriptions()).map((s) => s.account_id);
}

async function recorded(ids: number[]): Promise<Map<number, number | null>> {
  const rows = await withTestDb((db) =>
    db
      .select({ id: accounts.id, shard: accounts.monitorShard })
      .from(accounts)
      .where(inArray(accounts.id, ids)),
  );
  return new Map(rows.map((r) => [r.id, r.shard]));
}

/** Every account held by exactly the shard of `n`, and recorded there. */
async function expectPlaced(rows: AccountRow[], n: number, shards: number[]): Promise<void> {
  const held = new Map<number, number[]>();
  for (const s of shards) held.set(s, await heldBy(s));
  const rec = await recorded(rows.map((r) => r.id));
  for (const r of rows) {
    const owners = shards.filter((s) => held.get(s)!.includes(r.id));
    expect(owners, `account ${r.id}`).toEqual([shardOf(r.id, n)]);
    expect(rec.get(r.id)).toBe(shardOf(r.id, n));
  }
}

describe("live-monitor shards", () => {
  it("moves live accounts to their new shard subscribe-before-release when LIVE_SHARDS grows and shrinks", async () => {
    trackShards();
    const rows = await createTestAccounts(12);
    const ids = rows.map((r) => r.id);
    await setLive(ids);

    // One shard: the former singleton holds every account.
    await reconcileLive(withShards(1));
    expect((await heldBy(0)).sort()).toEqual([...ids].sort());
    await simWait({ subscribed: rows.map((r) => r.sessionId) });

    // Grow to 3: between the new shard's subscribe and the old one's release, both hold
    // the account and the Events service has two subscriptions for its session.
    const checks: ShardMove[] = [];
    const grow = await reconcileLive(withShards(3), Date.now, {
      afterMoveSubscribed: async (moves) => {
        const state = await simState();
        for (const m of moves) {
          expect(await heldBy(m.from)).toContain(m.accountId);
          expect(await heldBy(m.to)).toContain(m.accountId);
          const session = rows.find((r) => r.id === m.accountId)!.sessionId;
          const sub = state.subscriptions.find((s) => s.session_id === session);
          expect(sub?.connections).toBe(2);
          checks.push(m);
        }
      },
    });
    const growing = rows.filter((r) => shardOf(r.id, 3) !== 0);
    expect(growing.length).toBeGreaterThan(0);
    expect(grow.moved).toBe(growing.length);
    expect(checks.map((m) => m.accountId).sort()).toEqual(growing.map((r) => r.id).sort());
    for (const m of checks) expect(m.to).toBe(shardOf(m.accountId, 3));
    await expectPlaced(rows, 3, [0, 1, 2]);
    // Spread: with 12 accounts at least two shards hold some.
    const used = new Set(rows.map((r) => shardOf(r.id, 3)));
    expect(used.size).toBeGreaterThan(1);
    // Each session is subscribed once again (the old shards released theirs).
    const after = await simState();
    for (const r of rows)
      expect(after.subscriptions.find((s) => s.session_id === r.sessionId)?.connections).toBe(1);

    // Shrink to 2: shard 2 is drained into 0 and 1, the same way round, then forgotten.
    const shrink = await reconcileLive(withShards(2), Date.now, {
      afterMoveSubscribed: async (moves) => {
        for (const m of moves) {
          expect(m.from).toBe(2);
          expect(await heldBy(2)).toContain(m.accountId);
          expect(await heldBy(m.to)).toContain(m.accountId);
        }
      },
    });
    expect(shrink.moved).toBe(rows.filter((r) => shardOf(r.id, 3) === 2).length);
    expect(shrink.shards).toBe(3);
    await expectPlaced(rows, 2, [0, 1, 2]);
    expect(await heldBy(2)).toEqual([]);
    // Drained and forgotten: the next minute reconciles shards 0 and 1 only.
    expect((await reconcileLive(withShards(2))).shards).toBe(2);

    // Through the API: each live account shows its shard; the monitor lists both shards.
    const one = (await api("GET", `/v1/accounts/${ids[0]}`, { env: withShards(2) })).body;
    expect(one.monitor_shard).toBe(shardOf(ids[0]!, 2));
    const status = await api("GET", "/v1/monitor", { env: withShards(2) });
    expect(status.status).toBe(200);
    MonitorStatusSchema.parse(status.body);
    expect(status.body.shards.map((s: { shard: number }) => s.shard)).toEqual([0, 1]);
    expect(status.body.subscriptions).toBe(
      status.body.shards.reduce(
        (n: number, s: { subscriptions: number }) => n + s.subscriptions,
        0,
      ),
    );
    for (const s of status.body.shards)
      expect(s.subscriptions).toBe(rows.filter((r) => shardOf(r.id, 2) === s.shard).length);
    const subs = (await api("GET", "/v1/monitor/subscriptions", { env: withShards(2) })).body;
    expect(subs.items.map((s: { account_id: number }) => s.account_id).sort()).toEqual(
      [...ids].sort(),
    );
    await withTestDb((db) =>
      db.update(accounts).set({ monitoringState: "polling" }).where(inArray(accounts.id, ids)),
    );
  });

  it("hands accounts a poll moves live to their own shards, and records each", async () => {
    trackShards();
    // 97% of the daily allowance: the poll moves each live.
    const rows = await createTestAccounts(8, { equity: 95_150 });
    const ids = rows.map((r) => r.id);
    const res = await api("POST", "/v1/poll", { json: { account_ids: ids }, env: withShards(3) });
    expect(res.body.entered_live).toBe(8);
    await simWait({ subscribed: rows.map((r) => r.sessionId) });
    await expectPlaced(rows, 3, [0, 1, 2]);
    // An operator's release reaches the account's shard.
    const first = rows[0]!;
    const released = await api("DELETE", `/v1/accounts/${first.id}/live`, { env: withShards(3) });
    expect(released.status).toBe(200);
    expect(await heldBy(shardOf(first.id, 3))).not.toContain(first.id);
    await withTestDb((db) =>
      db.update(accounts).set({ monitoringState: "polling" }).where(inArray(accounts.id, ids)),
    );
  });

  it("records a breach that arrives while its account moves exactly once", async () => {
    trackShards();
    // Accounts that move from shard 0 to another when growing from 1 to 3.
    const rows = (await createTestAccounts(9, { equity: 96_000 })).filter(
      (r) => shardOf(r.id, 3) !== 0,
    );
    expect(rows.length).toBeGreaterThan(0);
    const target = rows[0]!;
    await setLive(rows.map((r) => r.id));
    await reconcileLive(withShards(1));
    await simWait({ subscribed: rows.map((r) => r.sessionId) });

    await reconcileLive(withShards(3), Date.now, {
      afterMoveSubscribed: async (moves) => {
        const move = moves.find((m) => m.accountId === target.id)!;
        // Both shards hear the event that breaks the daily floor (95,000 of 100,000).
        await sim(`/accounts/${target.sessionId}`, { equity: 94_000 }, "PATCH");
        await eventually(
          async () => {
            await monitorOfShard(env, move.from).flushNow();
            await monitorOfShard(env, move.to).flushNow();
            return (await violationsOf([target.id])).length > 0;
          },
          10_000,
          "the breach",
        );
      },
    });
    for (const shard of [0, 1, 2]) await monitorOfShard(env, shard).flushNow();
    const found = await violationsOf([target.id]);
    expect(found.map((v) => `${v.rule}/${v.period}`)).toEqual(["daily_loss/" + found[0]!.period]);
    const [row] = await withTestDb((db) =>
      db.select().from(accounts).where(eq(accounts.id, target.id)),
    );
    expect(row!.status).toBe("breached");
    expect(row!.monitoringState).toBe("polling");
    // One breach in the audit, though both shards judged the event.
    const audit = await auditOf(target.id, "status");
    expect(audit.map((a) => a.toValue)).toEqual(["breached"]);
    // It leaves every shard once Postgres has the breach; the others stay on their new shard.
    await eventually(
      async () => {
        for (const s of [0, 1, 2]) if ((await heldBy(s)).includes(target.id)) return false;
        return true;
      },
      10_000,
      "the breached account released",
    );
    await expectPlaced(rows.slice(1), 3, [0, 1, 2]);
  });
});
