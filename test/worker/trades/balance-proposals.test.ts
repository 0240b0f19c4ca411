/**
 * Balance operations from order history offered as adjustments (docs/trades.md, "Balance
 * operations"), and trading days counted from trades (docs/trades.md, "Trading days"),
 * through the poll path and the API.
 */
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { accountAdjustments, tradeSync } from "../../../src/db/schema.ts";
import { sim, withTestDb } from "../helpers.ts";
import { addToSim, api, createViaApi, expectError } from "../api/helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const DAY = 86_400_000;

async function tradingAccount(rules: Record<string, unknown> = {}) {
  const created = await createViaApi({
    rules: {
      preset: "ftmo-2step",
      initial_balance: 100_000,
      trade_rules: { max_open_positions: { limit: 50 } },
      ...rules,
    },
  });
  await addToSim(created, { balance: 100_000 });
  return {
    id: created.account.id as number,
    sessionId: created.sessionId,
    createdMs: Date.parse(created.account.created_at),
  };
}

const poll = (id: number) => api("POST", "/v1/poll", { json: { account_ids: [id] } });

function balanceOp(ticket: number, atMs: number, amount: number, orderType = "Balance") {
  return {
    ticket,
    symbol: "",
    orderType,
    lots: 0,
    openTime: iso(atMs),
    closeTime: iso(atMs),
    profit: amount,
  };
}

function closedTrade(ticket: number, openMs: number, closeMs: number) {
  return {
    ticket,
    symbol: "EURUSD",
    orderType: "Buy",
    lots: 1,
    openPrice: 1.08,
    openTime: iso(openMs),
    closeTime: iso(closeMs),
    closePrice: 1.081,
    stopLoss: 1.07,
    profit: 10,
  };
}

async function adjustmentsOf(id: number) {
  return withTestDb((db) =>
    db.select().from(accountAdjustments).where(eq(accountAdjustments.accountId, id)),
  );
}

describe("balance operations offered as adjustments", () => {
  it("offers each operation once, applies none until confirmed, and confirms through the bounded path", async () => {
    const a = await tradingAccount();
    await sim(
      `/orders/${a.sessionId}`,
      {
        opened: [],
        history: [
          // Before the account was added: part of its initial balance, never offered.
          balanceOp(900, a.createdMs - 5 * DAY, 100_000),
          balanceOp(901, a.createdMs + 1_000, 5_000),
          balanceOp(902, a.createdMs + 2_000, -2_000),
          balanceOp(903, a.createdMs + 3_000, 500, "Credit"),
          balanceOp(904, a.createdMs + 4_000, -900_000_000), // beyond any balance
          balanceOp(905, a.createdMs + 5_000, 0), // no adjustment
        ],
      },
      "PUT",
    );
    expect((await poll(a.id)).status).toBe(200);
    expect((await poll(a.id)).status).toBe(200); // read again: nothing offered twice

    const listed = await api("GET", `/v1/accounts/${a.id}/adjustments/proposed`);
    expect(listed.status).toBe(200);
    const byTicket = new Map(
      listed.body.items.map((p: { ticket: number }) => [p.ticket, p] as const),
    ) as Map<number, { id: number; amount: number; state: string; order_type: string }>;
    expect([...byTicket.keys()].sort()).toEqual([901, 902, 903, 904]);
    expect(byTicket.get(903)).toMatchObject({
      amount: 500,
      order_type: "Credit",
      state: "proposed",
    });
    // Never applied silently.
    expect(await adjustmentsOf(a.id)).toEqual([]);
    const proposedAudit = await api(
      "GET",
      `/v1/audit?account_id=${a.id}&action=account.adjustment_proposed`,
    );
    expect(proposedAudit.body.items).toHaveLength(4);

    // Confirmed: one adjustment of the amount, the proposal marked with it.
    const deposit = byTicket.get(901)!;
    const confirmed = await api(
      "POST",
      `/v1/accounts/${a.id}/adjustments/proposed/${deposit.id}/confirm`,
      { json: { reason: "bank transfer seen" } },
    );
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(201);
    expect(confirmed.body.proposal).toMatchObject({
      state: "confirmed",
      decided_by: "admin-token",
    });
    expect(confirmed.body.adjustment.amount).toBe(5_000);
    expect(confirmed.body.proposal.adjustment_id).toBe(confirmed.body.adjustment.id);
    const again = await api(
      "POST",
      `/v1/accounts/${a.id}/adjustments/proposed/${deposit.id}/confirm`,
    );
    expect(again.status).toBe(409);
    expectError(again.body, "conflict");
    expect((await adjustmentsOf(a.id)).map((r) => r.amount)).toEqual([5_000]);
    const adjustedAudit = await api("GET", `/v1/audit?account_id=${a.id}&action=account.adjusted`);
    expect(adjustedAudit.body.items[0].reason).toContain(`proposal ${deposit.id} confirmed`);

    // Out of bounds: 422, the proposal stays proposed, nothing recorded.
    const huge = byTicket.get(904)!;
    const refused = await api(
      "POST",
      `/v1/accounts/${a.id}/adjustments/proposed/${huge.id}/confirm`,
    );
    expect(refused.status).toBe(422);
    const still = await api("GET", `/v1/accounts/${a.id}/adjustments/proposed?state=proposed`);
    expect(still.body.items.map((p: { ticket: number }) => p.ticket).sort()).toEqual([
      902, 903, 904,
    ]);

    // Dismissed: kept, audited, never applied; then neither confirmable nor dismissable.
    const withdrawal = byTicket.get(902)!;
    const dismissed = await api(
      "POST",
      `/v1/accounts/${a.id}/adjustments/proposed/${withdrawal.id}/dismiss`,
      { json: { reason: "booked by hand already" } },
    );
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.state).toBe("dismissed");
    for (const verb of ["confirm", "dismiss"]) {
      const late = await api(
        "POST",
        `/v1/accounts/${a.id}/adjustments/proposed/${withdrawal.id}/${verb}`,
      );
      expect(late.status).toBe(409);
    }
    const dismissedAudit = await api(
      "GET",
      `/v1/audit?account_id=${a.id}&action=account.adjustment_dismissed`,
    );
    expect(dismissedAudit.body.items[0].reason).toContain("booked by hand already");
    expect((await adjustmentsOf(a.id)).map((r) => r.amount)).toEqual([5_000]);

    // A history read after the decisions offers nothing again.
    await poll(a.id);
    const all = await api("GET", `/v1/accounts/${a.id}/adjustments/proposed`);
    expect(all.body.items).toHaveLength(4);
  });

  it("confirms once when two confirmations race", async () => {
    const a = await tradingAccount();
    await sim(
      `/orders/${a.sessionId}`,
      { opened: [], history: [balanceOp(911, a.createdMs + 1_000, 1_000)] },
      "PUT",
    );
    await poll(a.id);
    const [p] = (await api("GET", `/v1/accounts/${a.id}/adjustments/proposed`)).body.items;
    const path = `/v1/accounts/${a.id}/adjustments/proposed/${p.id}/confirm`;
    const answers = await Promise.all([api("POST", path), api("POST", path)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await adjustmentsOf(a.id)).map((r) => r.amount)).toEqual([1_000]);
  });

  it("answers bad input with a clear error", async () => {
    const a = await tradingAccount();
    const other = await tradingAccount();
    await sim(
      `/orders/${a.sessionId}`,
      { opened: [], history: [balanceOp(921, a.createdMs + 1_000, 1_000)] },
      "PUT",
    );
    await poll(a.id);
    const [p] = (await api("GET", `/v1/accounts/${a.id}/adjustments/proposed`)).body.items;
    // Another account's proposal is not found through this one.
    const wrong = await api(
      "POST",
      `/v1/accounts/${other.id}/adjustments/proposed/${p.id}/confirm`,
    );
    expect(wrong.status).toBe(404);
    const badId = await api("POST", `/v1/accounts/${a.id}/adjustments/proposed/abc/confirm`);
    expect(badId.status).toBe(400);
    const badState = await api("GET", `/v1/accounts/${a.id}/adjustments/proposed?state=applied`);
    expect(badState.status).toBe(400);
    const unknownField = await api(
      "POST",
      `/v1/accounts/${a.id}/adjustments/proposed/${p.id}/confirm`,
      { json: { amount: 5 } },
    );
    expect(unknownField.status).toBe(400);
    expect((await api("GET", `/v1/accounts/999999999/adjustments/proposed`)).status).toBe(404);
    // Nothing lost: still proposed.
    const still = await api("GET", `/v1/accounts/${a.id}/adjustments/proposed?state=proposed`);
    expect(still.body.items).toHaveLength(1);
  });
});

describe("trading days counted from trades", () => {
  it("counts the days a position opened or closed in the firm's zone, not balance changes", async () => {
    // Resets at 17:00 New York: an instant's trading day is named by the day it opened.
    const a = await tradingAccount({
      objectives: { min_trading_days: 3 },
      daily_reset: { timezone: "America/New_York", hour: 17 },
    });
    const now = Date.now();
    // Two trades 10 minutes apart (one trading day), one opened 2 days ago and closed 1 day
    // ago (two more days), and a deposit today (no trading day).
    await sim(
      `/orders/${a.sessionId}`,
      {
        opened: [],
        history: [
          closedTrade(931, now - 30 * 60_000, now - 25 * 60_000),
          closedTrade(932, now - 20 * 60_000, now - 15 * 60_000),
          closedTrade(933, now - 2 * DAY - 60 * 60_000, now - DAY - 60 * 60_000),
          balanceOp(934, now - 5 * 60_000, 1_000),
        ],
      },
      "PUT",
    );
    expect((await poll(a.id)).status).toBe(200);
    const [sync] = await withTestDb((db) =>
      db.select().from(tradeSync).where(eq(tradeSync.accountId, a.id)),
    );
    expect(sync!.tradeDays).toHaveLength(3);
    expect(sync!.tradeDays.every((d) => /^0:\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
    const account = await api("GET", `/v1/accounts/${a.id}`);
    expect(account.body.metrics.objectives.trading_days).toEqual({
      counted: 3,
      required: 3,
      reached: true,
    });
    // Read again: the same days, counted once.
    await poll(a.id);
    const again = await api("GET", `/v1/accounts/${a.id}`);
    expect(again.body.metrics.objectives.trading_days.counted).toBe(3);
  });
});
