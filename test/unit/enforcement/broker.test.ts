/**
 * The MTAPI side of an action (src/enforce/broker.ts): the bridge's own clients answered in
 * the core's shape; renewal through src/mtapi/renew.ts (ConnectByToken, then ConnectEx with
 * the stored password), the new token used for every call after it.
 */
import { describe, expect, it } from "vitest";
import { brokerCalls } from "../../../src/enforce/broker.ts";
import { openOrdersOf } from "../../../src/domain/enforcement/opened.ts";
import { closeAnswer } from "../../../src/mtapi/trading.ts";

type Route = (url: URL) => { status?: number; body: unknown } | Error;

function fetcherOf(route: Route, calls: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    calls.push(
      `${url.pathname.slice(1)}:${url.searchParams.get("id") ?? url.searchParams.get("user")}`,
    );
    const r = route(url);
    if (r instanceof Error) throw r;
    const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    return new Response(text, { status: r.status ?? 200 });
  }) as typeof fetch;
}

const session = (fetcher: typeof fetch, extra = {}) =>
  brokerCalls({
    mtapiUrl: "http://127.0.0.1:9",
    sessionId: "tok-1",
    login: "1001",
    server: "Demo",
    fetcher,
    ...extra,
  });

describe("brokerCalls", () => {
  it("reads the summary with isInvestor, and an expired session as INVALID_TOKEN", async () => {
    const ok = session(fetcherOf(() => ({ body: { balance: 1, equity: 2, isInvestor: false } })));
    expect(await ok.readSummary()).toEqual({ ok: true, equity: 2, isInvestor: false });
    const unsaid = session(fetcherOf(() => ({ body: { balance: 1, equity: 2 } })));
    expect(await unsaid.readSummary()).toMatchObject({ ok: true, isInvestor: null });
    const expired = session(
      fetcherOf(() => ({ status: 201, body: { code: "INVALID_TOKEN", message: "expired" } })),
    );
    expect(await expired.readSummary()).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
  });

  it("reads OpenedOrders: an error code kept, a list with an entry without a ticket refused", async () => {
    const expired = session(
      fetcherOf(() => ({ status: 201, body: { code: "INVALID_TOKEN", message: "x" } })),
    );
    expect(await expired.readOpened()).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
    const bad = session(
      fetcherOf(() => ({ body: [{ ticket: 1, orderType: "Buy" }, { symbol: "X" }] })),
    );
    expect(await bad.readOpened()).toMatchObject({ ok: false, code: "BAD_ANSWER" });
    const down = session(fetcherOf(() => new TypeError("connection refused")));
    expect(await down.readOpened()).toMatchObject({ ok: false, code: "READ_FAILED" });
  });

  it("keeps an open ticket the trades parser sets aside (no open time, no symbol)", () => {
    expect(
      openOrdersOf([
        {
          ticket: 7,
          symbol: "EURUSD",
          orderType: "Buy",
          lots: 1,
          openTime: "2026-12-01T10:00:00",
          openPrice: 1.1,
          profit: -5,
        },
        { ticket: 8, orderType: "SellLimit" },
      ]),
    ).toEqual([
      { ticket: 7, symbol: "EURUSD", orderType: "Buy", lots: 1, openPrice: 1.1, profit: -5 },
      { ticket: 8, symbol: "", orderType: "SellLimit", lots: 0, openPrice: 0, profit: 0 },
    ]);
    expect(openOrdersOf({ orders: [] })).toBeNull();
    expect(openOrdersOf([{ ticket: -1 }])).toBeNull();
  });

  it("renews by ConnectEx with the stored password when ConnectByToken refuses; the new token is used after", async () => {
    const calls: string[] = [];
    const renewed: string[] = [];
    const fetcher = fetcherOf((url) => {
      const path = url.pathname.slice(1);
      if (path === "ConnectByToken") return { status: 201, body: { code: "INVALID_TOKEN" } };
      if (path === "ConnectEx") return { body: "tok-2" };
      return { body: { ticket: 5, state: "Filled", closePrice: 1.2, profit: -3 } };
    }, calls);
    const b = session(fetcher, {
      password: async () => "secret",
      onRenewed: async (old: string, token: string, via: string) => {
        renewed.push(`${old}->${token} ${via}`);
      },
    });
    expect(await b.renew()).toEqual({ ok: true });
    expect(renewed).toEqual(["tok-1->tok-2 credentials"]);
    expect(b.sessionId()).toBe("tok-2");
    expect(await b.send(5)).toMatchObject({ ok: true, state: "Filled", closePrice: 1.2 });
    expect(calls).toEqual(["ConnectByToken:tok-1", "ConnectEx:1001", "OrderCloseSafe:tok-2"]);
  });

  it("fails a renewal without stored credentials as SESSION_EXPIRED", async () => {
    const b = session(fetcherOf(() => ({ status: 201, body: { code: "INVALID_TOKEN" } })));
    expect(await b.renew()).toMatchObject({ ok: false, code: "SESSION_EXPIRED" });
    expect(b.sessionId()).toBe("tok-1");
  });

  it("answers a close that never came back as TIMEOUT or NETWORK (unknown outcomes)", async () => {
    const abort = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(await session(fetcherOf(() => abort)).send(1)).toMatchObject({
      ok: false,
      code: "TIMEOUT",
    });
    expect(await session(fetcherOf(() => new TypeError("reset"))).send(1)).toMatchObject({
      ok: false,
      code: "NETWORK",
    });
  });
});

describe("closeAnswer", () => {
  it("takes the bridge's error code, a code-less session error as INVALID_TOKEN, a non-close as BAD_ANSWER", () => {
    expect(closeAnswer(201, '{"code":"MARKET_CLOSED","message":"m"}')).toMatchObject({
      ok: false,
      code: "MARKET_CLOSED",
    });
    expect(closeAnswer(400, "Client with id tok-1 not found", ["tok-1"])).toEqual({
      ok: false,
      code: "INVALID_TOKEN",
      message: expect.not.stringContaining("tok-1"),
    });
    expect(closeAnswer(502, "bad gateway")).toMatchObject({ ok: false, code: "HTTP_502" });
    expect(closeAnswer(200, "<html>")).toMatchObject({ ok: false, code: "BAD_ANSWER" });
  });
});
