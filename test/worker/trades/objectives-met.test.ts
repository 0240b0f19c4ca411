/**
 * Objectives met on trading days counted from trades (docs/trades.md, "Trading days"): for an
 * account whose trades are read, `objectives_met_at` is set by the ingest on which the N-th
 * trading day arrives (the profit target already reached), not before, and never twice; a
 * balance change is no trading day. The same through an order event of a live account, and
 * through the cron's pass over live accounts (a target reached between order events).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { accountAudit, accounts, webhookMessages } from "../../../src/db/schema.ts";
import type { PollQueueMessage } from "../../../src/poll/dispatch.ts";
import { judgeStoredTrades } from "../../../src/poll/trades.ts";
import worker from "../../../src/index.ts";
import { getAccount, sim, withTestDb } from "../helpers.ts";
import { addToSim, api, createViaApi } from "../api/helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const DAY = 86_400_000;

async function account(minDays: number, balance: number) {
  const created = await createViaApi({
    rules: {
      preset: "ftmo-2step",
      initial_balance: 100_000,
      daily_reset: { timezone: "UTC", hour: 0 },
      trade_rules: { max_open_positions: { limit: 50 } },
      objectives: {
        profit_target: { limit: 1, unit: "percent" },
        min_trading_days: minDays,
      },
    },
  });
  await addToSim(created, { balance });
  return { id: created.account.id as number, sessionId: created.sessionId };
}

const poll = async (id: number) => expect((await poll0(id)).status).toBe(200);
const poll0 = (id: number) => api("POST", "/v1/poll", { json: { account_ids: [id] } });

/** A trade opened and closed at `atMs` (one trading day, UTC). */
function closedAt(ticket: number, atMs: number) {
  return {
    ticket,
    symbol: "EURUSD",
    orderType: "Buy",
    lots: 1,
    openPrice: 1.08,
    openTime: iso(atMs),
    closeTime: iso(atMs),
    closePrice: 1.081,
    stopLoss: 1.07,
    profit: 10,
  };
}

const setHistory = (sessionId: string, history: unknown[]) =>
  sim(`/orders/${sessionId}`, { opened: [], history }, "PUT");

/** The account's `objectives_met_at`, its audit rows and its alerts of the moment. */
async function metRecord(id: number) {
  const row = await getAccount(id);
  const audits = await withTestDb((db) =>
    db
      .select()
      .from(accountAudit)
      .where(
        and(eq(accountAudit.accountId, id), eq(accountAudit.action, "account.objectives_met")),
      ),
  );
  const alerts = await withTestDb((db) =>
    db
      .select()
      .from(webhookMessages)
      .where(
        and(
          eq(webhookMessages.type, "account.objectives_met"),
          sql`(${webhookMessages.payload}->'data'->'account'->>'id')::int = ${id}`,
        ),
      ),
  );
  const shown = await api("GET", `/v1/accounts/${id}`);
  return {
    metAt: row.objectivesMetAt?.getTime() ?? null,
    audits: audits.length,
    alerts: alerts.length,
    objectives: shown.body.metrics.objectives,
  };
}

describe("objectives met on trading days from trades", () => {
  it("meets them on the poll the N-th trading day arrives, not before, and never twice", async () => {
    // Target reached from the first reading (balance 101,500 of 100,000, 1% needed).
    const a = await account(3, 101_500);
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    await setHistory(a.sessionId, [
      closedAt(601, today - 2 * DAY + DAY / 2),
      closedAt(602, today - DAY + DAY / 2),
    ]);
    await poll(a.id);
    let m = await metRecord(a.id);
    expect(m.metAt).toBeNull();
    expect(m.objectives.trading_days).toEqual({ counted: 2, required: 3, reached: false });
    expect(m.objectives.profit_target.reached).toBe(true);
    expect(m.objectives.met_at).toBeNull();
    // Read again, the same two days: still not met.
    await poll(a.id);
    expect((await metRecord(a.id)).metAt).toBeNull();

    // The third day (today, inside the history read's overlap) arrives: met at that poll.
    const before = Date.now();
    await setHistory(a.sessionId, [closedAt(603, Math.max(today, now - 10 * 60_000))]);
    await poll(a.id);
    const after = Date.now();
    m = await metRecord(a.id);
    expect(m.metAt).not.toBeNull();
    expect(m.metAt!).toBeGreaterThanOrEqual(before - 1000);
    expect(m.metAt!).toBeLessThanOrEqual(after + 1000);
    expect(m.objectives.trading_days).toEqual({ counted: 3, required: 3, reached: true });
    expect(m.objectives.met_at).toBe(new Date(m.metAt!).toISOString());
    expect(m.audits).toBe(1);
    expect(m.alerts).toBe(1);

    // Polled again, another trade today: the moment is kept, recorded once.
    const first = m.metAt;
    await setHistory(a.sessionId, [closedAt(604, Math.max(today, Date.now() - 5 * 60_000))]);
    await poll(a.id);
    await poll(a.id);
    m = await metRecord(a.id);
    expect(m.metAt).toBe(first);
    expect(m.audits).toBe(1);
    expect(m.alerts).toBe(1);
  });

  it("counts no balance change as a trading day once trades are read", async () => {
    const a = await account(1, 100_000);
    await poll(a.id);
    // The balance rises past the target with no trade read: the engine would have counted
    // the day it changed; here nothing is met.
    await sim(`/accounts/${a.sessionId}`, { balance: 101_500, equity: 101_500 }, "PATCH");
    await poll(a.id);
    let m = await metRecord(a.id);
    expect(m.objectives.profit_target.reached).toBe(true);
    expect(m.objectives.trading_days).toEqual({ counted: 0, required: 1, reached: false });
    expect(m.metAt).toBeNull();
    expect(m.audits).toBe(0);
    // The trade that made it arrives: met.
    await setHistory(a.sessionId, [closedAt(701, Date.now() - 60_000)]);
    await poll(a.id);
    m = await metRecord(a.id);
    expect(m.metAt).not.toBeNull();
    expect(m.audits).toBe(1);
    expect(m.alerts).toBe(1);
  });
});

async function deliver(bodies: PollQueueMessage[]) {
  const batch = createMessageBatch<PollQueueMessage>(
    "drawdown-sentinel-poll",
    bodies.map((body, i) => ({ id: `o-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("objectives met on trading days from order events and the timer", () => {
  it("meets them at the order event that brings the N-th trading day, once on a replay", async () => {
    const a = await account(1, 101_500);
    await poll(a.id); // the figures, the target reached; no trade yet
    expect((await metRecord(a.id)).metAt).toBeNull();
    const receivedAt = Date.now();
    const open = {
      ticket: 801,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: 1,
      openTime: `${iso(receivedAt - 2_000)}Z`,
      stopLoss: 1.07,
    };
    const message: PollQueueMessage = {
      trade_event: true,
      account_id: a.id,
      received_at: receivedAt,
      update: { type: "MarketOpen", order: open },
      opened_orders: [open],
    };
    expect((await deliver([message])).explicitAcks).toEqual(["o-0"]);
    let m = await metRecord(a.id);
    expect(m.metAt).toBe(receivedAt);
    expect(m.audits).toBe(1);
    expect(m.alerts).toBe(1);
    await deliver([{ ...message, received_at: receivedAt + 1_000 }]);
    m = await metRecord(a.id);
    expect(m.metAt).toBe(receivedAt);
    expect(m.audits).toBe(1);
    expect(m.alerts).toBe(1);
  });

  it("the cron's pass meets them when a live account's figures reach the target later", async () => {
    const a = await account(1, 100_000);
    await setHistory(a.sessionId, [closedAt(901, Date.now() - 60_000)]);
    await poll(a.id); // one trading day, no profit yet
    let m = await metRecord(a.id);
    expect(m.objectives.trading_days.counted).toBe(1);
    expect(m.metAt).toBeNull();
    // The live writer stores figures past the target (no order event, no ingest).
    await withTestDb((db) =>
      db
        .update(accounts)
        .set({
          monitoringState: "live",
          riskState: sql`${accounts.riskState} || '{"balance": 101500, "equity": 101500}'::jsonb`,
        })
        .where(eq(accounts.id, a.id)),
    );
    const row = await getAccount(a.id);
    const at = Date.now();
    await withTestDb((db) => judgeStoredTrades(db, [row], at));
    m = await metRecord(a.id);
    expect(m.metAt).toBe(at);
    const again = await getAccount(a.id);
    await withTestDb((db) => judgeStoredTrades(db, [again], at + 60_000));
    m = await metRecord(a.id);
    expect(m.metAt).toBe(at);
    expect(m.audits).toBe(1);
    expect(m.alerts).toBe(1);
  });
});
