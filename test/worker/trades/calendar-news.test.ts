/**
 * The calendar API and the news rule (docs/trades.md, "Calendar"): events imported as JSON or
 * CSV (admin), listed (viewer), deleted; a position opened inside an event's window is a
 * violation, through the poll path; symbol overrides count.
 */
import { describe, expect, it } from "vitest";
import { sim, violationsOf } from "../helpers.ts";
import { addToSim, api, createViaApi, createKey } from "../api/helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

describe("calendar and the news rule", () => {
  it("imports, lists and deletes events; CSV with a bad row imports nothing; viewers may only read", async () => {
    const at = new Date(Date.UTC(2031, 0, 5, 13, 30)).toISOString();
    const posted = await api("POST", "/v1/calendar", {
      json: {
        events: [{ at, currency: "usd", impact: "high", title: "CPI" }],
        symbols: { US30: ["USD"] },
      },
    });
    expect(posted.status).toBe(200);
    expect(posted.body).toEqual({ added: 1, symbols: 1 });
    const again = await api("POST", "/v1/calendar", {
      json: { events: [{ at, currency: "USD", impact: "high", title: "CPI" }] },
    });
    expect(again.body.added).toBe(0);
    const bad = await api("POST", "/v1/calendar.csv", {
      headers: { "content-type": "text/csv" },
      raw: "at,currency,impact,title\n2031-01-06T10:00:00Z,EUR,high,ok\n2031-01-06T10:00:00Z,EUR,fierce,bad\n",
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("line 3");
    const good = await api("POST", "/v1/calendar.csv", {
      headers: { "content-type": "text/csv" },
      raw: "2031-01-06T10:00:00Z,EUR,high,ECB\n",
    });
    expect(good.body).toEqual({ added: 1, symbols: 0 });
    const listed = await api("GET", "/v1/calendar?from=2031-01-01&to=2031-01-31");
    expect(
      listed.body.items.map((e: { currency: string; title: string }) => [e.currency, e.title]),
    ).toEqual([
      ["USD", "CPI"],
      ["EUR", "ECB"],
    ]);
    expect(listed.body.symbols).toMatchObject({ US30: ["USD"] });
    const viewer = await createKey("viewer");
    const asViewer = { token: viewer.key };
    expect((await api("GET", "/v1/calendar", asViewer)).status).toBe(200);
    expect((await api("POST", "/v1/calendar", { ...asViewer, json: { events: [] } })).status).toBe(
      403,
    );
    const removed = await api("DELETE", `/v1/calendar/${listed.body.items[1].id}`);
    expect(removed.status).toBe(204);
    expect((await api("DELETE", `/v1/calendar/${listed.body.items[1].id}`)).status).toBe(404);
  });

  it("a position opened inside a high-impact event's window is one soft violation", async () => {
    const now = Date.now();
    const eventAt = Math.floor((now - 10 * 60_000) / 60_000) * 60_000;
    await api("POST", "/v1/calendar", {
      json: {
        events: [
          { at: new Date(eventAt).toISOString(), currency: "JPY", impact: "high", title: "BoJ" },
        ],
      },
    });
    const created = await createViaApi({
      rules: {
        preset: "ftmo-2step",
        initial_balance: 100_000,
        trade_rules: { news: { window_min: 2 } },
      },
    });
    await addToSim(created, { balance: 100_000 });
    const order = (ticket: number, symbol: string, openMs: number) => ({
      ticket,
      symbol,
      orderType: "Buy",
      lots: 1,
      openTime: iso(openMs),
      stopLoss: 1,
    });
    await sim(
      `/orders/${created.sessionId}`,
      {
        opened: [
          order(9001, "USDJPY.r", eventAt - 90_000),
          order(9002, "EURUSD", eventAt),
          order(9003, "USDJPY", eventAt + 150_000),
        ],
      },
      "PUT",
    );
    await api("POST", "/v1/poll", { json: { account_ids: [created.account.id] } });
    await api("POST", "/v1/poll", { json: { account_ids: [created.account.id] } });
    const found = await violationsOf([created.account.id]);
    expect(found.map((v) => [v.rule, v.ticket, v.severity])).toEqual([["news", 9001, "soft"]]);
    expect(found[0]!.evidence?.cause).toMatchObject({
      kind: "trade",
      trade: { ticket: 9001, symbol: "USDJPY.r" },
      detail: { currency: "JPY", impact: "high" },
    });
  });
});
