/**
 * Trades through the poll path (docs/trades.md): orders read from the simulator's
 * OpenedOrders and OrderHistory, stored once, judged; soft violations leave the account
 * active, the escalated one fails it; bad input is counted, never a crash or a double.
 */
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { tradeSync, trades } from "../../../src/db/schema.ts";
import { sim, violationsOf, withTestDb } from "../helpers.ts";
import { addToSim, api, createViaApi } from "../api/helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

async function tradingAccount(tradeRules: Record<string, unknown>) {
  const created = await createViaApi({
    rules: { preset: "ftmo-2step", initial_balance: 100_000, trade_rules: tradeRules },
  });
  await addToSim(created, { balance: 100_000 });
  return { id: created.account.id as number, sessionId: created.sessionId };
}

const poll = (id: number) => api("POST", "/v1/poll", { json: { account_ids: [id] } });

function order(ticket: number, openMs: number, extra: Record<string, unknown> = {}) {
  return {
    ticket,
    symbol: "EURUSD",
    orderType: "Buy",
    lots: 1,
    openPrice: 1.08,
    openTime: iso(openMs),
    stopLoss: 0,
    takeProfit: 0,
    profit: 0,
    swap: 0,
    commission: 0,
    ...extra,
  };
}

describe("trades on the poll path", () => {
  it("records soft violations once, leaves the account active, and escalates the third to hard", async () => {
    const a = await tradingAccount({
      min_hold_s: { seconds: 60, escalate_after: 3 },
      stop_loss_required: { grace_s: 60 },
    });
    const now = Date.now();
    const closed = (ticket: number, heldS: number, minutesAgo: number) => ({
      ...order(ticket, now - minutesAgo * 60_000, { stopLoss: 1.07 }),
      closeTime: iso(now - minutesAgo * 60_000 + heldS * 1000),
      closePrice: 1.081,
      profit: 10,
    });
    await sim(
      `/orders/${a.sessionId}`,
      {
        opened: [order(501, now - 10 * 60_000)],
        history: [closed(401, 20, 30), closed(402, 35, 20)],
      },
      "PUT",
    );
    const first = await poll(a.id);
    expect(first.status).toBe(200);
    let list = await api("GET", `/v1/violations?account_id=${a.id}`);
    expect(
      list.body.items
        .map((v: { rule: string; severity: string; ticket: number }) => [
          v.rule,
          v.severity,
          v.ticket,
        ])
        .sort(),
    ).toEqual([
      ["min_hold_s", "soft", 401],
      ["min_hold_s", "soft", 402],
      ["stop_loss_required", "soft", 501],
    ]);
    expect((await api("GET", `/v1/accounts/${a.id}`)).body.status).toBe("active");

    // Polled again: nothing new. A third short hold escalates and fails the account.
    await poll(a.id);
    expect(await violationsOf([a.id])).toHaveLength(3);
    await sim(
      `/orders/${a.sessionId}`,
      { history: [closed(401, 20, 30), closed(402, 35, 20), closed(403, 50, 5)] },
      "PUT",
    );
    await poll(a.id);
    const rows = await violationsOf([a.id]);
    expect(rows).toHaveLength(4);
    expect(rows.find((v) => v.ticket === 403)).toMatchObject({
      rule: "min_hold_s",
      severity: "hard",
    });
    expect((await api("GET", `/v1/accounts/${a.id}`)).body.status).toBe("breached");
    list = await api("GET", `/v1/violations?account_id=${a.id}&severity=hard`);
    expect(list.body.items.map((v: { ticket: number }) => v.ticket)).toEqual([403]);
  });

  it("counts bad orders, stores one row per trade, and marks a vanished position", async () => {
    const a = await tradingAccount({ max_open_positions: { limit: 50 } });
    const now = Date.now();
    const good = order(601, now - 60_000);
    await sim(
      `/orders/${a.sessionId}`,
      {
        opened: [
          good,
          good,
          { symbol: "EURUSD" },
          { ...order(602, now), lots: "0.5" },
          { ...order(603, now), symbol: "" },
        ],
        history: [{ ...good, closeTime: null }],
        partial_response: true,
      },
      "PUT",
    );
    expect((await poll(a.id)).status).toBe(200);
    const stored = await withTestDb((db) =>
      db.select().from(trades).where(eq(trades.accountId, a.id)),
    );
    expect(stored.map((t) => [Number(t.ticket), t.state, t.lots]).sort()).toEqual([
      [601, "open", 1],
      [602, "open", 0.5],
    ]);
    const sync = await withTestDb((db) =>
      db.select().from(tradeSync).where(eq(tradeSync.accountId, a.id)),
    );
    expect(sync[0]!.counts).toEqual({ duplicate: 1, no_ticket: 1, no_symbol: 1, no_close_time: 1 });
    expect(sync[0]!.historyTo).toBeNull();
    // 602 leaves the open list with no close: vanished, not closed.
    await sim(
      `/orders/${a.sessionId}`,
      { opened: [good], history: [], partial_response: false },
      "PUT",
    );
    await poll(a.id);
    const after = await withTestDb((db) =>
      db.select().from(trades).where(eq(trades.accountId, a.id)),
    );
    expect(after.find((t) => Number(t.ticket) === 602)!.state).toBe("vanished");
    expect(await violationsOf([a.id])).toHaveLength(0);
  });
});
