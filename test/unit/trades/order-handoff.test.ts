/** Order data off the Events link (docs/trades.md, "When rules are judged"). */
import { describe, expect, it } from "vitest";
import { parseFrame } from "../../../src/live/core/parse-frame.ts";
import {
  MAX_OPEN_ORDERS,
  OrderHandoff,
  type TradeEventMessage,
} from "../../../src/live/order-handoff.ts";

describe("OrderUpdate frames", () => {
  it("carry their order data beside the reading, and plain equity events carry none", () => {
    const [item] = parseFrame(
      JSON.stringify({
        type: "OrderUpdate",
        id: "def-456",
        data: {
          balance: 100000,
          equity: 99870.5,
          update: { type: "MarketOpen", order: { ticket: 1 } },
          openedOrders: [{ ticket: 1 }],
        },
      }),
    );
    expect(item).toMatchObject({
      kind: "event",
      equity: 99870.5,
      orders: {
        update: { type: "MarketOpen", order: { ticket: 1 } },
        openedOrders: [{ ticket: 1 }],
      },
    });
    const [plain] = parseFrame(
      JSON.stringify({ type: "OrderProfit", id: "x", data: { equity: 5 } }),
    );
    expect(plain).not.toHaveProperty("orders");
    const [noEquity] = parseFrame(
      JSON.stringify({ type: "OrderUpdate", id: "x", data: { openedOrders: [] } }),
    );
    expect(noEquity).toMatchObject({ kind: "no_equity", orders: { openedOrders: [] } });
  });
});

describe("OrderHandoff", () => {
  it("sends one batch per burst and leaves out an open list too large for a message", async () => {
    const sent: Array<Array<{ body: TradeEventMessage }>> = [];
    const handoff = new OrderHandoff({
      sendBatch: async (m) => void sent.push([...m]),
    });
    handoff.add(1, { update: { type: "MarketOpen" } }, 10);
    handoff.add(2, { openedOrders: Array.from({ length: MAX_OPEN_ORDERS + 1 }, () => ({})) }, 11);
    await handoff.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((m) => m.body)).toEqual([
      { trade_event: true, account_id: 1, received_at: 10, update: { type: "MarketOpen" } },
      { trade_event: true, account_id: 2, received_at: 11 },
    ]);
    expect(handoff.counts).toEqual({ handed: 2, dropped: 0, trimmed: 1 });
  });

  it("counts what it cannot send, never throws", async () => {
    const handoff = new OrderHandoff({ sendBatch: () => Promise.reject(new Error("queue down")) });
    handoff.add(1, { update: {} }, 1);
    await handoff.flush();
    expect(handoff.counts.dropped).toBe(1);
    const none = new OrderHandoff(undefined);
    none.add(1, { update: {} }, 1);
    expect(none.counts.dropped).toBe(1);
  });

  it("carries the server offset the monitor learnt, in minutes, when it has learnt one", async () => {
    const sent: TradeEventMessage[] = [];
    const handoff = new OrderHandoff({
      sendBatch: async (m) => void sent.push(...m.map((x) => x.body)),
    });
    handoff.add(1, { update: {} }, 10, 3 * 3_600_000);
    handoff.add(2, { update: {} }, 11, 0);
    handoff.add(3, { update: {} }, 12);
    await handoff.flush();
    expect(sent.map((b) => b.learnt_offset_min)).toEqual([180, undefined, undefined]);
  });
});
