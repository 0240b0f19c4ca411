/**
 * Acting on a breach end to end on the poll path (docs/enforcement.md): a real Postgres, the
 * project's simulator answering OrderCloseSafe, the write transaction creating the action and
 * the runner carrying it out. Faults: timeouts with and without the close, MARKET_CLOSED, an
 * investor session, a halt mid-action, a database outage mid-action.
 */
import { env } from "cloudflare:workers";
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Db } from "../../../src/db/client.ts";
import { sealKeysOf, setCredentials } from "../../../src/accounts/credentials.ts";
import {
  accountAudit,
  accounts,
  enforcementActions,
  webhookMessages,
  enforcementSteps,
} from "../../../src/db/schema.ts";
import { enforcementPass, runAction, runCreated, runDueActions } from "../../../src/enforce/run.ts";
import { claimAction, persistAction, setHalt } from "../../../src/enforce/store.ts";
import { pollAccounts } from "../../../src/poll/poll-accounts.ts";
import { selectPollable } from "../../../src/poll/pollable.ts";
import { createTestAccount, database, getAccount, sim, withTestDb } from "../helpers.ts";
import { closeCounts, e18Orders } from "./e18.ts";

const ORDERS = e18Orders(5000);

/** An account whose max_loss breach closes all and locks, with two positions and an order. */
async function breachable(mode: "on" | "dry_run", script: Record<string, unknown> = {}) {
  const a = await createTestAccount({
    initial_balance: 100_000,
    balance: 100_000,
    equity: 100_000,
  });
  await withTestDb((db) =>
    db
      .update(accounts)
      .set({
        enforcement: mode,
        rules: sql`${accounts.rules} || '{"consequences": {"max_loss": "close_all_and_lock"}}'::jsonb`,
      })
      .where(eq(accounts.id, a.id)),
  );
  await sim(`/orders/${a.sessionId}`, { opened: ORDERS }, "PUT");
  await sim(`/close/${a.sessionId}`, script, "PUT");
  // Equity crosses the max floor (90,000).
  await sim(`/accounts/${a.sessionId}`, { equity: 89_000 }, "PATCH");
  return a;
}

async function poll(db: Db, id: number, enforcement = "on") {
  const rows = await selectPollable(db, { ids: [id] }, 1);
  return pollAccounts(db, rows, {
    mtapiUrl: env.MTAPI_URL,
    enforcement,
    onActions: runCreated(db, env),
  });
}

async function actionsOf(db: Db, accountId: number) {
  return db
    .select()
    .from(enforcementActions)
    .where(eq(enforcementActions.accountId, accountId))
    .orderBy(asc(enforcementActions.id));
}

async function stepsOf(db: Db, actionId: number) {
  return db
    .select()
    .from(enforcementSteps)
    .where(eq(enforcementSteps.actionId, actionId))
    .orderBy(asc(enforcementSteps.ticket));
}

const counts = closeCounts;
const openTickets = async (sessionId: string) =>
  (
    (await (await fetch(`${env.MTAPI_URL}/OpenedOrders?id=${sessionId}`)).json()) as {
      ticket: number;
    }[]
  ).map((o) => o.ticket);

describe("acting on a breach", () => {
  it("E18: closes both positions and cancels the order, each sent once, with evidence and a lock", async () => {
    const a = await breachable("on");
    await withTestDb(async (db) => {
      const report = await poll(db, a.id);
      expect(report.violations).toBeGreaterThan(0);
      const [action] = await actionsOf(db, a.id);
      expect(action).toMatchObject({
        kind: "close_all",
        state: "done",
        dryRun: false,
        rule: "max_loss",
      });
      const steps = await stepsOf(db, action!.id);
      expect(steps.map((s) => [s.ticket, s.action, s.state, s.sends])).toEqual([
        [5001, "close", "done", 1],
        [5002, "close", "done", 1],
        [5003, "cancel", "done", 1],
      ]);
      expect(steps[0]).toMatchObject({ closePrice: 1.1, profit: -6_000, settledBy: "answer" });
      expect(action!.machine.positions_before?.map((o) => o.ticket)).toEqual([5001, 5002, 5003]);
      expect(action!.machine.equity_after).toBe(89_000);
      const messages = await db
        .select({ type: webhookMessages.type, payload: webhookMessages.payload })
        .from(webhookMessages)
        .where(
          sql`${webhookMessages.type} like 'enforcement.%' or ${webhookMessages.type} = 'account.locked'`,
        );
      const mine = messages.filter((m) =>
        JSON.stringify(m.payload).includes(`"account_id":${a.id}`),
      );
      expect(mine.map((m) => m.type).sort()).toEqual([
        "account.locked",
        "enforcement.completed",
        "enforcement.started",
      ]);
      // A second poll of the breached account creates nothing more.
      await poll(db, a.id);
      expect(await actionsOf(db, a.id)).toHaveLength(1);
    });
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 5001: 1, 5002: 1, 5003: 1 },
      sends_to_closed: 0,
    });
    expect(await openTickets(a.sessionId)).toEqual([]);
    const row = await getAccount(a.id);
    expect(row.status).toBe("breached");
    expect(row.lockedAt).not.toBeNull();
    expect(row.lockedUntil).toBeNull();
    expect(row.lockRule).toBe("max_loss");
  });

  it("dry run records the same decisions and sends nothing", async () => {
    const a = await breachable("dry_run");
    await withTestDb(async (db) => {
      await poll(db, a.id);
      const [action] = await actionsOf(db, a.id);
      // The lock is a decision too: recorded on the action, never on the account.
      expect(action).toMatchObject({ state: "done", dryRun: true, lock: true });
      const steps = await stepsOf(db, action!.id);
      expect(steps.map((s) => [s.ticket, s.action, s.state, s.sends])).toEqual([
        [5001, "close", "decided", 0],
        [5002, "close", "decided", 0],
        [5003, "cancel", "decided", 0],
      ]);
    });
    expect((await counts(a.sessionId)).sends).toEqual({});
    expect(await openTickets(a.sessionId)).toEqual([5001, 5002, 5003]);
    expect((await getAccount(a.id)).lockedAt).toBeNull();
  });

  it("creates nothing while the deployment's ENFORCEMENT is off", async () => {
    const a = await breachable("on");
    await withTestDb(async (db) => {
      await poll(db, a.id, "off");
      expect(await actionsOf(db, a.id)).toEqual([]);
    });
    expect((await counts(a.sessionId)).sends).toEqual({});
  });

  it("a timeout with the close done is settled by reading: never a second close", async () => {
    const a = await breachable("on", { faults: ["timeout_done"] });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      const [action] = await actionsOf(db, a.id);
      expect(action!.state).toBe("done");
      const [first] = await stepsOf(db, action!.id);
      expect(first).toMatchObject({
        ticket: 5001,
        state: "done",
        sends: 1,
        settledBy: "opened_orders",
      });
    });
    expect(await counts(a.sessionId)).toMatchObject({ sends: { 5001: 1 }, sends_to_closed: 0 });
    expect(await openTickets(a.sessionId)).toEqual([]);
  });

  it("INVALID_TOKEN mid-action renews through ConnectEx with the stored password, then goes on: each ticket closed once", async () => {
    const a = await breachable("on", { faults: ["invalid_token"] });
    // ConnectByToken refuses this token; ConnectEx accepts the stored (sealed) password.
    await sim(`/accounts/${a.sessionId}`, { connect_by_token: false, password: "pw-9" }, "PATCH");
    const keys = await sealKeysOf(env);
    await withTestDb(async (db) => {
      await setCredentials(db, keys!, a.id, { password: "pw-9", kind: "master" }, { actor: "t" });
      await poll(db, a.id);
      const [action] = await actionsOf(db, a.id);
      expect(action!.state).toBe("done");
      const audit = await db
        .select({
          action: accountAudit.action,
          actor: accountAudit.actor,
          reason: accountAudit.reason,
        })
        .from(accountAudit)
        .where(eq(accountAudit.accountId, a.id));
      expect(audit).toContainEqual({
        action: "account.session_renewed",
        actor: "enforcement",
        reason: "ConnectEx with stored credentials",
      });
    });
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 5001: 2, 5002: 1, 5003: 1 },
      sends_to_closed: 0,
    });
    expect(await openTickets(a.sessionId)).toEqual([]);
  });

  it("a timeout with the close not done is read, sent once more, and closed: never left open", async () => {
    const a = await breachable("on", { faults: ["timeout_not_done"] });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      const [action] = await actionsOf(db, a.id);
      expect(action!.state).toBe("done");
    });
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 5001: 2, 5002: 1, 5003: 1 },
      sends_to_closed: 0,
    });
    expect(await openTickets(a.sessionId)).toEqual([]);
  });

  it("MARKET_CLOSED waits for the market: the action is let go and resumed later", async () => {
    const a = await breachable("on", { faults: ["market_closed"] });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      const [waiting] = await actionsOf(db, a.id);
      expect(waiting!.state).toBe("running");
      expect(waiting!.leaseOwner).toBeNull();
      expect(waiting!.resumeAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      // The other tickets did not wait for this one.
      expect(await openTickets(a.sessionId)).toEqual([5001]);
      // The market opens; the wait is over (moved, not slept through).
      await db
        .update(enforcementActions)
        .set({ resumeAt: new Date(Date.now() - 1) })
        .where(eq(enforcementActions.id, waiting!.id));
      await db.execute(
        sql`update enforcement_actions set machine = jsonb_set(machine, '{steps,0,not_before}', '0') where id = ${waiting!.id}`,
      );
      await runDueActions(db, { mtapiUrl: env.MTAPI_URL });
      const [done] = await actionsOf(db, a.id);
      expect(done!.state).toBe("done");
    });
    expect(await counts(a.sessionId)).toMatchObject({ sends: { 5001: 2, 5002: 1, 5003: 1 } });
    expect(await openTickets(a.sessionId)).toEqual([]);
  });

  it("an investor session fails at once with a reason, sending nothing", async () => {
    const a = await breachable("on", { investor: true });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      const [action] = await actionsOf(db, a.id);
      expect(action).toMatchObject({ state: "failed" });
      expect(action!.failure).toMatch(/investor session/);
      const [alert] = await db
        .select({ payload: webhookMessages.payload })
        .from(webhookMessages)
        .where(eq(webhookMessages.type, "enforcement.failed"));
      expect(JSON.stringify(alert?.payload)).toMatch(/investor session/);
    });
    expect((await counts(a.sessionId)).sends).toEqual({});
  });

  it("a halt in the middle stops every step not yet sent", async () => {
    const a = await breachable("on", { faults: ["hang"], delay_ms: 1_500 });
    await withTestDb(async (db) => {
      const polling = poll(db, a.id);
      // While the first close hangs at the simulator, an operator halts.
      await new Promise((r) => setTimeout(r, 700));
      await setHalt(db, true, "test", "test");
      try {
        await polling;
        const [action] = await actionsOf(db, a.id);
        expect(action).toMatchObject({ state: "failed", failure: "halted by an operator" });
        const steps = await stepsOf(db, action!.id);
        expect(steps.map((s) => [s.ticket, s.state])).toEqual([
          [5001, "done"],
          [5002, "halted"],
          [5003, "halted"],
        ]);
      } finally {
        await setHalt(db, false, null, "test");
      }
    });
    expect((await counts(a.sessionId)).sends).toEqual({ 5001: 1 });
    expect(await openTickets(a.sessionId)).toEqual([5002, 5003]);
  });

  it("a runner that lost the lease writes neither the state nor its steps (one statement)", async () => {
    const a = await breachable("on");
    await withTestDb(async (db) => {
      const rows = await selectPollable(db, { ids: [a.id] }, 1);
      await pollAccounts(db, rows, { mtapiUrl: env.MTAPI_URL, enforcement: "on" });
      const [action] = await actionsOf(db, a.id);
      const first = await claimAction(db, action!.id, "first");
      expect(first).not.toBeNull();
      // The first runner's lease runs out; a second claims the action.
      await db
        .update(enforcementActions)
        .set({ leaseUntil: new Date(Date.now() - 1) })
        .where(eq(enforcementActions.id, action!.id));
      expect(await claimAction(db, action!.id, "second")).not.toBeNull();
      const stale = {
        ...first!.machine,
        steps: [
          {
            ticket: 5001,
            action: "close" as const,
            symbol: "EURUSD",
            state: "sending" as const,
            sends: 1,
            market_closed: 0,
            close_price: null,
            close_time: null,
            profit: null,
            settled_by: null,
            error: null,
            at: Date.now(),
            not_before: 0,
          },
        ],
      };
      await expect(persistAction(db, action!.id, "first", stale, null)).rejects.toThrow(
        /lease lost/,
      );
      const [after] = await actionsOf(db, a.id);
      expect(after!.leaseOwner).toBe("second");
      expect(after!.machine).toEqual(first!.machine);
      expect(await stepsOf(db, action!.id)).toEqual([]);
      // The holder's write lands, the steps with it.
      await persistAction(db, action!.id, "second", stale, null);
      expect(await stepsOf(db, action!.id)).toMatchObject([{ ticket: 5001, sends: 1 }]);
    });
    expect((await counts(a.sessionId)).sends).toEqual({});
  });

  it("a database outage mid-action stops it before the next send; it resumes and finishes once", async () => {
    const a = await breachable("on", { faults: ["hang"], delay_ms: 1_500 });
    let actionId = 0;
    await withTestDb(async (db) => {
      const rows = await selectPollable(db, { ids: [a.id] }, 1);
      // Create the action without running it, then run it by hand.
      await pollAccounts(db, rows, { mtapiUrl: env.MTAPI_URL, enforcement: "on" });
      const [action] = await actionsOf(db, a.id);
      actionId = action!.id;
    });
    await withTestDb(async (db) => {
      const run = runAction(db, actionId, { mtapiUrl: env.MTAPI_URL });
      await new Promise((r) => setTimeout(r, 700));
      await database("down");
      try {
        await expect(run).rejects.toThrow();
      } finally {
        await database("up");
      }
    });
    // Only the first close went out; its answer was never written.
    expect((await counts(a.sessionId)).sends).toEqual({ 5001: 1 });
    await withTestDb(async (db) => {
      // The dead runner's lease runs out (moved, not waited for).
      await db
        .update(enforcementActions)
        .set({ leaseUntil: new Date(Date.now() - 1) })
        .where(eq(enforcementActions.id, actionId));
      await runDueActions(db, { mtapiUrl: env.MTAPI_URL });
      const [done] = await actionsOf(db, a.id);
      expect(done!.state).toBe("done");
      const [first] = await stepsOf(db, actionId);
      expect(first).toMatchObject({
        ticket: 5001,
        state: "done",
        sends: 1,
        settledBy: "opened_orders",
      });
    });
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 5001: 1, 5002: 1, 5003: 1 },
      sends_to_closed: 0,
    });
    expect(await openTickets(a.sessionId)).toEqual([]);
  });

  it("keeps a locked account flat: a position opened after the action is closed on the next pass", async () => {
    const a = await breachable("on");
    await withTestDb(async (db) => {
      await poll(db, a.id);
      // The trader opens a position while locked (the simulator publishes it as an order event).
      await sim(`/orders/${a.sessionId}/open`, {
        ticket: 6001,
        symbol: "EURUSD",
        orderType: "Buy",
        lots: 1,
        openPrice: 1.1,
      });
      expect(await openTickets(a.sessionId)).toEqual([6001]);
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      const actions = await actionsOf(db, a.id);
      expect(actions.map((x) => [x.kind, x.state])).toEqual([
        ["close_all", "done"],
        ["lock_guard", "done"],
      ]);
      const steps = await stepsOf(db, actions[1]!.id);
      expect(steps.map((x) => [x.ticket, x.state, x.sends])).toEqual([[6001, "done", 1]]);
      // Flat: the next pass starts nothing.
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect(await actionsOf(db, a.id)).toHaveLength(2);
    });
    expect(await openTickets(a.sessionId)).toEqual([]);
    expect((await counts(a.sessionId)).sends_to_closed).toBe(0);
  });

  it("starts no guard beside the breach's own unfinished action: each ticket has one sender", async () => {
    // The breach's action waits for the market with 5001 still open; the cron's pass must
    // leave 5001 to it (a guard would plan it too, and both would close it).
    const a = await breachable("on", { faults: ["market_closed"] });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      expect(await openTickets(a.sessionId)).toEqual([5001]);
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect((await actionsOf(db, a.id)).map((x) => [x.kind, x.state])).toEqual([
        ["close_all", "running"],
      ]);
      // The market opens: the breach's action closes 5001, once.
      const [waiting] = await actionsOf(db, a.id);
      await db.execute(
        sql`update enforcement_actions set resume_at = now(), machine = jsonb_set(machine, '{steps,0,not_before}', '0') where id = ${waiting!.id}`,
      );
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect((await actionsOf(db, a.id)).map((x) => [x.kind, x.state])).toEqual([
        ["close_all", "done"],
      ]);
    });
    expect(await openTickets(a.sessionId)).toEqual([]);
    expect(await counts(a.sessionId)).toMatchObject({
      sends: { 5001: 2, 5002: 1, 5003: 1 },
      sends_to_closed: 0,
    });
  });

  it("after a failed action (investor session) the guard waits instead of failing every pass", async () => {
    const a = await breachable("on", { investor: true });
    await withTestDb(async (db) => {
      await poll(db, a.id);
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect((await actionsOf(db, a.id)).map((x) => [x.kind, x.state])).toEqual([
        ["close_all", "failed"],
      ]);
      // Once the wait is over, a guard tries again (the session may have been fixed).
      await db.execute(
        sql`update enforcement_actions set finished_at = now() - interval '16 minutes' where account_id = ${a.id}`,
      );
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect((await actionsOf(db, a.id)).map((x) => x.kind)).toEqual(["close_all", "lock_guard"]);
    });
    expect((await counts(a.sessionId)).sends).toEqual({});
  });

  it("an expired daily lock is lifted; a locked account with enforcement off is left alone", async () => {
    const a = await breachable("on");
    await withTestDb(async (db) => {
      await poll(db, a.id);
      await sim(`/orders/${a.sessionId}/open`, {
        ticket: 6101,
        symbol: "EURUSD",
        orderType: "Buy",
        lots: 1,
      });
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "off" });
      expect(await actionsOf(db, a.id)).toHaveLength(1);
      await db
        .update(accounts)
        .set({ lockedUntil: new Date(Date.now() - 1_000) })
        .where(eq(accounts.id, a.id));
      await enforcementPass(db, { MTAPI_URL: env.MTAPI_URL, ENFORCEMENT: "on" });
      expect(await actionsOf(db, a.id)).toHaveLength(1);
    });
    expect((await getAccount(a.id)).lockedAt).toBeNull();
    expect(await openTickets(a.sessionId)).toEqual([6101]);
  });
});
