/** Orders from MTAPI parsed and batched (docs/trades.md, "Ingest"): bad input counted, never thrown. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  configuredClock,
  learntClock,
  orderTimeMs,
  parseOffsets,
} from "../../../src/domain/trades/broker-time.ts";
import { orderBatch } from "../../../src/domain/trades/batch.ts";
import { parseOrder } from "../../../src/domain/trades/orders.ts";
import { utc } from "./fixtures.ts";

const buy = {
  ticket: 51234,
  symbol: "EURUSD",
  orderType: "Buy",
  lots: 1.5,
  openPrice: 1.0842,
  openTime: "2026-12-04T09:15:02.117",
  stopLoss: 0,
  takeProfit: 0,
  profit: -120.5,
  swap: 0,
  commission: -7,
};

describe("broker time", () => {
  it("reads a time without a zone as broker time and one with a zone as it says", () => {
    expect(orderTimeMs("2026-12-04T09:15:02.117", 120)).toBe(utc("2026-12-04T07:15:02.117"));
    expect(orderTimeMs("2026.12.04 09:15:02", 120)).toBe(utc("2026-12-04T07:15:02"));
    expect(orderTimeMs("2026-12-04T09:15:02Z", 120)).toBe(utc("2026-12-04T09:15:02"));
    expect(orderTimeMs("2026-12-04T09:15:02+02:00", 0)).toBe(utc("2026-12-04T07:15:02"));
    expect(orderTimeMs(1_796_000_000, 0)).toBe(1_796_000_000_000);
    for (const none of ["", "0001-01-01T00:00:00", "1970-01-01T00:00:00", "yesterday", null, {}]) {
      expect(orderTimeMs(none, 0), JSON.stringify(none)).toBeNull();
    }
  });

  it("takes whole-minute offsets per server and reports the rest", () => {
    expect(parseOffsets('{"ICM-Live": 120, "*": 180, "bad": 1.5, "far": 900}')).toEqual({
      offsets: { "ICM-Live": 120, "*": 180 },
      errors: [expect.stringContaining("bad"), expect.stringContaining("far")],
    });
    expect(parseOffsets("nope").errors).toHaveLength(1);
  });

  it("takes the learnt offset of a server before the configured one, which stays the fallback", () => {
    const configured = configuredClock({ "ICM-Live": 120, "*": 60 });
    const clock = learntClock({ "ICM-Live": 180, Other: 0, Odd: 1.5, Far: 2000 }, configured);
    expect(clock.offsetMinutes("ICM-Live")).toBe(180); // learnt beats configured
    expect(clock.offsetMinutes("Other")).toBe(0); // a learnt 0 is an offset too
    expect(clock.offsetMinutes("Odd")).toBe(60); // not whole minutes: not taken
    expect(clock.offsetMinutes("Far")).toBe(60); // beyond 14 h: not taken
    expect(clock.offsetMinutes("Unknown")).toBe(60); // configured "*"
    expect(learntClock({}, configuredClock({})).offsetMinutes("x")).toBe(0);
    expect(learntClock({}, configured).offsetMinutes("toString")).toBe(60);
  });
});

describe("parseOrder", () => {
  it("reads the bridge's order, lots and prices as strings too", () => {
    const parsed = parseOrder({ ...buy, lots: "1.5", profit: "-120.5" }, 120);
    expect(parsed).toEqual({
      ok: true,
      order: expect.objectContaining({
        ticket: 51234,
        kind: "position",
        lots: 1.5,
        profit: -120.5,
        openMs: utc("2026-12-04T07:15:02.117"),
        closeMs: null,
      }),
    });
  });

  it("names why an order cannot be used", () => {
    expect(parseOrder({ ...buy, ticket: undefined }, 0)).toEqual({
      ok: false,
      reason: "no_ticket",
    });
    expect(parseOrder({ ...buy, ticket: "abc" }, 0)).toEqual({ ok: false, reason: "no_ticket" });
    expect(parseOrder({ ...buy, symbol: "" }, 0)).toEqual({ ok: false, reason: "no_symbol" });
    expect(parseOrder({ ...buy, openTime: "soon" }, 0)).toEqual({
      ok: false,
      reason: "no_open_time",
    });
    expect(parseOrder({ ...buy, lots: "1,5" }, 0)).toEqual({ ok: false, reason: "bad_number" });
    expect(parseOrder({ ...buy, orderType: "Teleport" }, 0)).toEqual({
      ok: false,
      reason: "unknown_type",
    });
    expect(parseOrder("order", 0)).toEqual({ ok: false, reason: "not_an_object" });
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything(), fc.integer({ min: -840, max: 840 }), (raw, offset) => {
        const parsed = parseOrder(raw, offset);
        expect(typeof parsed.ok).toBe("boolean");
      }),
    );
  });
});

describe("orderBatch", () => {
  const now = utc("2026-12-04T10:00:00");

  it("one trade per (ticket, open time) across the open list and history; the close wins", () => {
    const closed = { ...buy, closeTime: "2026-12-04T09:20:00", closePrice: 1.09 };
    const batch = orderBatch({
      openOrders: [buy, buy],
      openComplete: true,
      closedOrders: [closed],
      source: "history",
      offsetMinutes: 0,
      nowMs: now,
    });
    expect(batch.upserts).toHaveLength(1);
    expect(batch.upserts[0]).toMatchObject({
      state: "closed",
      closeMs: utc("2026-12-04T09:20:00"),
    });
    expect(batch.counts).toEqual({ duplicate: 1 });
  });

  it("a reused ticket with another open time is another trade", () => {
    const again = { ...buy, openTime: "2027-12-04T09:15:02" };
    const batch = orderBatch({
      openOrders: [buy, again],
      source: "opened",
      offsetMinutes: 0,
      nowMs: now,
    });
    expect(batch.upserts).toHaveLength(2);
  });

  it("counts bad orders and keeps the good ones; a non-list is counted", () => {
    const batch = orderBatch({
      openOrders: [buy, { symbol: "EURUSD" }, { ...buy, ticket: 2, symbol: null }, null],
      closedOrders: "oops",
      update: { type: "Weird", order: { ticket: 3 } },
      source: "event",
      offsetMinutes: 0,
      nowMs: now,
    });
    expect(batch.upserts.map((u) => u.ticket)).toEqual([51234]);
    expect(batch.counts).toEqual({
      no_ticket: 1,
      no_symbol: 1,
      not_an_object: 1,
      not_a_list: 1,
      unknown_type: 1,
    });
  });

  it("an update MarketClose closes; balance operations are closed at once; the open list is complete only when said", () => {
    const batch = orderBatch({
      openOrders: [],
      update: { type: "MarketClose", order: { ...buy, closeTime: "2026-12-04T09:30:00" } },
      closedOrders: [
        { ticket: 9, orderType: "Balance", profit: 5000, openTime: "2026-12-01T00:00:00" },
      ],
      source: "event",
      offsetMinutes: 0,
      nowMs: now,
    });
    expect(batch.upserts.map((u) => [u.ticket, u.state, u.kind])).toEqual([
      [9, "closed", "balance"],
      [51234, "closed", "position"],
    ]);
    expect(batch.openKeys).toBeNull();
  });

  it("marks the moment a stop loss is first seen on an open position", () => {
    const batch = orderBatch({
      openOrders: [{ ...buy, stopLoss: 1.07 }],
      openComplete: true,
      source: "opened",
      offsetMinutes: 0,
      nowMs: now,
    });
    expect(batch.upserts[0]!.stopLossSeenMs).toBe(now);
    expect(batch.openKeys).toEqual([{ ticket: 51234, openMs: utc("2026-12-04T09:15:02.117") }]);
  });
});
