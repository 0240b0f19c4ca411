import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { account, control } from "./helpers.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  expect((await control(sim, "/accounts", account("s1"))).status).toBe(200);
  await control(
    sim,
    "/orders/s1",
    {
      opened: [
        { ticket: 1, symbol: "EURUSD", orderType: "Buy", lots: 1, openPrice: 1.1, profit: -50 },
        { ticket: 2, symbol: "EURUSD", orderType: "SellLimit", lots: 1, openPrice: 1.2, profit: 0 },
      ],
    },
    "PUT",
  );
});

async function closeSafe(ticket: number | string, id = "s1") {
  const res = await fetch(`${sim.mtapiUrl}/OrderCloseSafe?id=${id}&ticket=${ticket}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function opened(): Promise<number[]> {
  const res = await fetch(`${sim.mtapiUrl}/OpenedOrders?id=s1`);
  return ((await res.json()) as { ticket: number }[]).map((o) => o.ticket);
}

describe("simulator OrderCloseSafe", () => {
  it("fills a position and cancels a pending order, then says INVALID_TICKET", async () => {
    expect(await closeSafe(1)).toMatchObject({
      status: 200,
      body: { ticket: 1, state: "Filled", profit: -50 },
    });
    expect(await closeSafe(2)).toMatchObject({
      status: 200,
      body: { ticket: 2, state: "Cancelled" },
    });
    expect(await opened()).toEqual([]);
    expect(await closeSafe(1)).toMatchObject({ status: 201, body: { code: "INVALID_TICKET" } });
    const counts = await control(sim, "/close/s1");
    expect(counts.body).toMatchObject({
      sends: { 1: 2, 2: 1 },
      sends_to_closed: 1,
      sends_after_settled: 1,
    });
  });

  it("times out with the close done, and with it not done", async () => {
    await control(sim, "/close/s1", { faults: ["timeout_done", "timeout_not_done"] }, "PUT");
    expect(await closeSafe(1)).toMatchObject({ status: 201, body: { code: "TIMEOUT" } });
    expect(await opened()).toEqual([2]);
    expect(await closeSafe(2)).toMatchObject({ status: 201, body: { code: "TIMEOUT" } });
    expect(await opened()).toEqual([2]);
  });

  it("answers MARKET_CLOSED and INVALID_TOKEN as scripted, closing nothing", async () => {
    await control(sim, "/close/s1", { faults: ["market_closed", "invalid_token"] }, "PUT");
    expect((await closeSafe(1)).body).toMatchObject({ code: "MARKET_CLOSED" });
    expect((await closeSafe(1)).body).toMatchObject({ code: "INVALID_TOKEN" });
    expect(await opened()).toEqual([1, 2]);
    expect((await closeSafe(1)).status).toBe(200);
  });

  it("closed elsewhere: the ticket leaves the open list and the send is told INVALID_TICKET", async () => {
    await control(sim, "/close/s1", { faults: ["closed_elsewhere", "timeout_done"] }, "PUT");
    expect((await closeSafe(1)).body).toMatchObject({ code: "INVALID_TICKET" });
    expect(await opened()).toEqual([2]);
    expect((await closeSafe(2)).body).toMatchObject({ code: "TIMEOUT" });
    expect(await opened()).toEqual([]);
    expect((await closeSafe(2)).body).toMatchObject({ code: "INVALID_TICKET" });
    const counts = await control(sim, "/close/s1");
    // Closed by the trader, not by OrderCloseSafe: not a send to a closed ticket; the timeout
    // that closed ticket 2 is told apart in the answers, and the send after it counted.
    expect(counts.body).toMatchObject({
      sends_to_closed: 1,
      sends_after_settled: 1,
      settled: [1, 2],
      closed: [2],
      answers: { 1: ["INVALID_TICKET"], 2: ["TIMEOUT_DONE", "INVALID_TICKET"] },
    });
  });

  it("counts a send that arrives while an earlier one to the ticket is unanswered", async () => {
    await control(sim, "/close/s1", { faults: ["hang"], delay_ms: 200 }, "PUT");
    const first = closeSafe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await closeSafe(1)).body).toMatchObject({ code: "INVALID_TICKET" });
    expect((await first).body).toMatchObject({ state: "Filled" });
    expect((await control(sim, "/close/s1")).body).toMatchObject({
      sends_while_in_flight: 1,
      sends_after_settled: 0,
      in_flight: { 1: 0 },
    });
  });

  it("refuses an investor session and an unknown one", async () => {
    await control(sim, "/close/s1", { investor: true }, "PUT");
    expect((await closeSafe(1)).body).toMatchObject({ code: "TRADE_DISABLED" });
    expect((await closeSafe(1, "nope")).body).toMatchObject({ code: "INVALID_TOKEN" });
    expect(await opened()).toEqual([1, 2]);
  });

  it("refuses a bad script and a missing ticket", async () => {
    expect((await control(sim, "/close/s1", { faults: ["explode"] }, "PUT")).status).toBe(400);
    expect((await closeSafe("")).body).toMatchObject({ code: "NULL_ARGUMENT" });
  });
});
