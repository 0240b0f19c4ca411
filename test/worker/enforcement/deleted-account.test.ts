/**
 * Enforcement of a deleted account (docs/enforcement.md, "Deleted accounts"): deleting stops
 * every step not yet sent of its unfinished actions exactly like a halt (the action ends
 * `failed` with "account deleted", the steps `halted`), sends nothing more (nothing is called
 * with its wiped token), is shown by GET /v1/accounts/{id}/enforcement, and no lock guard
 * starts for it. A close already sent is settled, never sent again.
 */
import { env } from "cloudflare:workers";
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { archiveAccount } from "../../../src/accounts/archive.ts";
import type { Db } from "../../../src/db/client.ts";
import { accounts, enforcementActions, enforcementSteps } from "../../../src/db/schema.ts";
import { guardFromEvent } from "../../../src/enforce/lock-guard.ts";
import { enforcementPass, runCreated, runDueActions } from "../../../src/enforce/run.ts";
import { pollAccounts } from "../../../src/poll/poll-accounts.ts";
import { selectPollable } from "../../../src/poll/pollable.ts";
import { createTestAccount, sim, withTestDb } from "../helpers.ts";
import { closeCounts, e18Orders } from "./e18.ts";
import { api } from "../api/helpers.ts";

const ORDERS = e18Orders(5000);
const BY = { actor: "test", reason: "account closed" };

/** An account whose max_loss breach closes all and locks, with two positions and an order. */
async function breachable(script: Record<string, unknown> = {}) {
  const a = await createTestAccount({
    initial_balance: 100_000,
    balance: 100_000,
    equity: 100_000,
  });
  await withTestDb((db) =>
    db
      .update(accounts)
      .set({
        enforcement: "on",
        rules: sql`${accounts.rules} || '{"consequences": {"max_loss": "close_all_and_lock"}}'::jsonb`,
      })
      .where(eq(accounts.id, a.id)),
  );
  await sim(`/orders/${a.sessionId}`, { opened: ORDERS }, "PUT");
  await sim(`/close/${a.sessionId}`, script, "PUT");
  await sim(`/accounts/${a.sessionId}`, { equity: 89_000 }, "PATCH");
  return a;
}

async function poll(db: Db, id: number) {
  const rows = await selectPollable(db, { ids: [id] }, 1);
  return pollAccounts(db, rows, {
    mtapiUrl: env.MTAPI_URL,
    enforcement: "on",
    onActions: runCreated(db, env),
  });
}

const actionsOf = (db: Db, accountId: number) =>
  db
    .select()
    .from(enforcementActions)
    .where(eq(enforcementActions.accountId, accountId))
    .orderBy(asc(enforcementActions.id));
const stepsOf = async (db: Db, actionId: number) =>
  (
    await db
      .select()
      .from(enforcementSteps)
      .where(eq(enforcementSteps.actionId, actionId))
      .orderBy(asc(enforcementSteps.ticket))
  ).map((s) => [s.ticket, s.state]);
const counts = closeCounts;
const openTickets = async (sessionId: string) =>
  (
    (await (await fetch(`${env.MTAPI_URL}/OpenedOrders?id=${sessionId}`)).json()) as {
      ticket: number;
    }[]
  ).map((o) => o.ticket);

describe("enforcement of a deleted account", () => {
  it("a delete in the middle stops every step not yet sent; the close in flight is settled, not sent again", async () => {
    const a = await breachable({ faults: ["hang"], delay_ms: 1_500 });
    await withTestDb(async (db) => {
      const polling = poll(db, a.id);
      // While the first close hangs at the simulator, the account is deleted.
      await new Promise((r) => setTimeout(r, 700));
      await archiveAccount(db, a.id, BY);
      await polling;
      const [action] = await actionsOf(db, a.id);
      expect(action).toMatchObject({ state: "failed", failure: "account deleted" });
      expect(await stepsOf(db, action!.id)).toEqual([
        [5001, "done"],
        [5002, "halted"],
        [5003, "halted"],
      ]);
      // Another pass finds nothing to run and starts no guard (the account is locked).
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect(await actionsOf(db, a.id)).toHaveLength(1);
    });
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 5001: 1 },
      sends_to_closed: 0,
      sends_after_settled: 0,
    });
    expect(await openTickets(a.sessionId)).toEqual([5002, 5003]);
    const shown = await api("GET", `/v1/accounts/${a.id}/enforcement`);
    expect(shown.status).toBe(200);
    expect(shown.body.actions[0]).toMatchObject({ state: "failed", failure: "account deleted" });
    expect(
      shown.body.actions[0].steps.map((s: { ticket: number; state: string }) => s.state),
    ).toEqual(["done", "halted", "halted"]);
  });

  it("an action waiting for the market ends at once when deleted: nothing more is sent or read", async () => {
    const a = await breachable({ faults: ["market_closed"] });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      const [waiting] = await actionsOf(db, a.id);
      expect(waiting!.state).toBe("running");
      expect(waiting!.resumeAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      await archiveAccount(db, a.id, BY);
      // The delete made it due now: the next pass ends it (the market wait is not sat out).
      await runDueActions(db, { mtapiUrl: env.MTAPI_URL });
      const [ended] = await actionsOf(db, a.id);
      expect(ended).toMatchObject({ state: "failed", failure: "account deleted" });
      expect(await stepsOf(db, ended!.id)).toEqual([
        [5001, "halted"],
        [5002, "done"],
        [5003, "done"],
      ]);
    });
    // 5001 had one refused send before the delete, none after it.
    expect((await counts(a.sessionId)).sends).toEqual({ 5001: 1, 5002: 1, 5003: 1 });
    expect(await openTickets(a.sessionId)).toEqual([5001]);
  });

  it("starts no lock guard for a deleted account, from the cron's pass or an order event", async () => {
    const a = await breachable();
    await withTestDb(async (db) => {
      await poll(db, a.id);
      expect((await actionsOf(db, a.id)).map((x) => x.state)).toEqual(["done"]);
      await archiveAccount(db, a.id, BY);
      // The trader opens a position on the (still locked) deleted account.
      await sim(`/orders/${a.sessionId}/open`, {
        ticket: 6001,
        symbol: "EURUSD",
        orderType: "Buy",
        lots: 1,
        openPrice: 1.1,
      });
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect(await guardFromEvent(db, a.id, "on")).toEqual({ unlocked: true });
      expect((await actionsOf(db, a.id)).map((x) => x.kind)).toEqual(["close_all"]);
    });
    expect(await openTickets(a.sessionId)).toEqual([6001]);
    expect((await counts(a.sessionId)).sends[6001]).toBeUndefined();
  });
});
