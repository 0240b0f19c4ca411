/**
 * Order events of live accounts (docs/trades.md, "When rules are judged"): the monitor hands
 * `OrderUpdate` order data to the poll queue as `trade_event` messages; the consumer stores the
 * orders and judges the account; the cron's timer judges the time-based rules later. A
 * replayed message records nothing twice; bad orders are counted.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, serverClocks, tradeSync, trades } from "../../../src/db/schema.ts";
import type { PollQueueMessage } from "../../../src/poll/dispatch.ts";
import { judgeStoredTrades } from "../../../src/poll/trades.ts";
import worker from "../../../src/index.ts";
import { sim, violationsOf, withTestDb } from "../helpers.ts";
import { addToSim, api, createViaApi } from "../api/helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

async function deliver(bodies: PollQueueMessage[]) {
  const batch = createMessageBatch<PollQueueMessage>(
    "drawdown-sentinel-poll",
    bodies.map((body, i) => ({ id: `m-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("order events of live accounts", () => {
  it("stores the orders of an OrderUpdate, judges at once, and the timer catches the missing stop loss", async () => {
    const created = await createViaApi({
      rules: {
        preset: "ftmo-2step",
        initial_balance: 100_000,
        trade_rules: { stop_loss_required: { grace_s: 60 }, max_open_positions: { limit: 1 } },
      },
    });
    const id = created.account.id as number;
    const now = Date.now();
    const open1 = {
      ticket: 7001,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: "0.5",
      openTime: iso(now - 5_000),
      stopLoss: 0,
    };
    const open2 = {
      ticket: 7002,
      symbol: "GBPUSD",
      orderType: "Sell",
      lots: 1,
      openTime: `${iso(now - 2_000)}Z`,
      stopLoss: 1.3,
    };
    const event = (update: unknown, opened: unknown[]): PollQueueMessage => ({
      trade_event: true,
      account_id: id,
      received_at: now,
      update,
      opened_orders: opened,
    });
    const messages = [
      event({ type: "MarketOpen", order: open1 }, [open1]),
      event({ type: "MarketOpen", order: open2 }, [open1, open2, { symbol: "EURUSD" }]),
    ];
    const result = await deliver(messages);
    expect(result.explicitAcks.sort()).toEqual(["m-0", "m-1"]);
    // The second position is over max_open_positions at once; the stop loss is not yet due.
    let found = await violationsOf([id]);
    expect(found.map((v) => [v.rule, v.ticket, v.severity, v.source])).toEqual([
      ["max_open_positions", 7002, "soft", "event"],
    ]);
    // A replay records nothing twice and stores nothing twice.
    await deliver(messages);
    expect(await violationsOf([id])).toHaveLength(1);
    const stored = await withTestDb((db) =>
      db.select().from(trades).where(eq(trades.accountId, id)),
    );
    expect(stored).toHaveLength(2);
    const sync = await withTestDb((db) =>
      db.select().from(tradeSync).where(eq(tradeSync.accountId, id)),
    );
    expect(sync[0]!.counts).toEqual({ no_ticket: 2 });

    // The timer, 61 s on: the position without a stop loss is a soft violation; the account stays active.
    const [row] = await withTestDb((db) => db.select().from(accounts).where(eq(accounts.id, id)));
    await withTestDb((db) => judgeStoredTrades(db, [row!], now + 61_000));
    found = await violationsOf([id]);
    expect(found.map((v) => [v.rule, v.ticket]).sort()).toEqual([
      ["max_open_positions", 7002],
      ["stop_loss_required", 7001],
    ]);
    expect((await api("GET", `/v1/accounts/${id}`)).body.status).toBe("active");

    // The trades list shows each trade with the violations it caused.
    const listed = await api("GET", `/v1/accounts/${id}/trades?state=open`);
    expect(listed.status).toBe(200);
    const byTicket = new Map(listed.body.items.map((t: { ticket: number }) => [t.ticket, t]));
    expect(byTicket.get(7001)).toMatchObject({
      lots: 0.5,
      side: "Buy",
      stop_loss: 0,
      violations: [found.find((v) => v.ticket === 7001)!.id],
    });
    expect(byTicket.get(7002)).toMatchObject({
      violations: [found.find((v) => v.ticket === 7002)!.id],
    });
    const soft = await api("GET", `/v1/accounts/${id}/violations?severity=soft`);
    expect(soft.body.items).toHaveLength(2);
    expect(
      (await api("GET", `/v1/accounts/${id}/violations?severity=hard`)).body.items,
    ).toHaveLength(0);
    expect((await api("GET", `/v1/accounts/${id}/trades?state=sideways`)).status).toBe(400);
  });
});

describe("the broker offset the monitor learnt", () => {
  it("is stored with an order event and converts that server's order times, polled ones too", async () => {
    const server = `Learnt-${crypto.randomUUID().slice(0, 8)}`;
    const rules = {
      preset: "ftmo-2step",
      initial_balance: 100_000,
      trade_rules: { max_open_positions: { limit: 50 } },
    };
    const live = await createViaApi({ server, rules });
    const polled = await createViaApi({ server, rules });
    const now = Date.now();
    // Broker time is UTC+3 on this server: an order stamped 3 h ahead of UTC.
    const ahead = (ms: number) => iso(ms + 180 * 60_000);
    const liveId = live.account.id as number;
    const result = await deliver([
      {
        trade_event: true,
        account_id: liveId,
        received_at: now,
        update: {
          type: "MarketOpen",
          order: {
            ticket: 8101,
            symbol: "EURUSD",
            orderType: "Buy",
            lots: 1,
            openTime: ahead(now - 60_000),
          },
        },
        learnt_offset_min: 180,
      },
    ]);
    expect(result.explicitAcks).toEqual(["m-0"]);
    const openOf = async (accountId: number, ticket: number) => {
      const [t] = await withTestDb((db) =>
        db.select().from(trades).where(eq(trades.accountId, accountId)),
      );
      expect(Number(t!.ticket)).toBe(ticket);
      return t!.openTime.getTime();
    };
    expect(await openOf(liveId, 8101)).toBe(Math.floor((now - 60_000) / 1000) * 1000);
    const clocks = await withTestDb((db) =>
      db.select().from(serverClocks).where(eq(serverClocks.server, server)),
    );
    expect(clocks.map((c) => c.offsetMinutes)).toEqual([180]);

    // The poll path of another account on that server takes the learnt offset (none is
    // configured for it: without it the time would be read as UTC, 3 h in the future).
    await addToSim(polled, { balance: 100_000 });
    await sim(
      `/orders/${polled.sessionId}`,
      {
        opened: [
          {
            ticket: 8201,
            symbol: "EURUSD",
            orderType: "Buy",
            lots: 1,
            openTime: ahead(now - 120_000),
          },
        ],
        history: [],
      },
      "PUT",
    );
    const res = await api("POST", "/v1/poll", { json: { account_ids: [polled.account.id] } });
    expect(res.status).toBe(200);
    expect(await openOf(polled.account.id as number, 8201)).toBe(
      Math.floor((now - 120_000) / 1000) * 1000,
    );
  });
});
