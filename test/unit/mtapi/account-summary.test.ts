import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifySummaryResponse,
  fetchAccountSummary,
  parseAccountSummary,
} from "../../../src/mtapi/account-summary.ts";
import { ACCOUNT_PROBLEMS } from "../../../src/domain/vocabulary.ts";

const camel = {
  balance: 104000.0,
  credit: 0,
  profit: -4500.0,
  equity: 99500.0,
  margin: 1200.0,
  freeMargin: 98300.0,
  marginLevel: 8291.6,
  leverage: 100,
  currency: "USD",
  method: "Hedging",
  type: "Demo",
};
const figures = {
  balance: 104000,
  equity: 99500,
  credit: 0,
  profit: -4500,
  margin: 1200,
  freeMargin: 98300,
};

describe("parseAccountSummary", () => {
  it("reads the spec's camelCase summary", () => {
    expect(parseAccountSummary(camel)).toEqual({ ok: true, summary: figures });
  });

  it("reads PascalCase names and numeric strings", () => {
    const pascal = {
      Balance: "104000.0",
      Credit: "0",
      Profit: "-4500",
      Equity: " 99500 ",
      Margin: 1200,
      FreeMargin: "98300",
      Currency: "USD",
    };
    expect(parseAccountSummary(pascal)).toEqual({ ok: true, summary: figures });
  });

  it("leaves out optional figures that are missing or not finite", () => {
    expect(parseAccountSummary({ balance: 1, equity: 2, margin: "NaN", profit: null })).toEqual({
      ok: true,
      summary: { balance: 1, equity: 2 },
    });
  });

  it.each([
    [{ equity: 1 }, "summary has no balance"],
    [{ balance: 1 }, "summary has no equity"],
    [{ balance: null, equity: 1 }, "summary has no balance"],
    [{ balance: "NaN", equity: 1 }, "summary balance is not a finite number"],
    [{ balance: 1, Equity: "Infinity" }, "summary equity is not a finite number"],
    [{ balance: 1, equity: "" }, "summary equity is not a finite number"],
    [{ balance: 1, equity: {} }, "summary equity is not a finite number"],
    [[camel], "summary is not a JSON object"],
    [null, "summary is not a JSON object"],
    ["Invalid session id", "summary is not a JSON object"],
  ])("rejects %j: %s", (body, error) => {
    expect(parseAccountSummary(body)).toEqual({ ok: false, error });
  });

  it("returns exactly the balance and equity it was given, as numbers or strings", () => {
    const finite = fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => (Object.is(n, -0) ? 0 : n));
    fc.assert(
      fc.property(
        finite,
        finite,
        fc.boolean(),
        fc.boolean(),
        (balance, equity, pascal, asString) => {
          const enc = (n: number) => (asString ? String(n) : n);
          const body = pascal
            ? { Balance: enc(balance), Equity: enc(equity) }
            : { balance: enc(balance), equity: enc(equity) };
          expect(parseAccountSummary(JSON.parse(JSON.stringify(body)))).toEqual({
            ok: true,
            summary: { balance, equity },
          });
        },
      ),
    );
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const result = parseAccountSummary(body);
        if (result.ok)
          expect(
            Number.isFinite(result.summary.balance) && Number.isFinite(result.summary.equity),
          ).toBe(true);
        else expect(result.error).toMatch(/^summary /);
      }),
    );
  });
});

describe("classifySummaryResponse", () => {
  it("accepts a 200 with a valid summary", () => {
    expect(classifySummaryResponse(200, JSON.stringify(camel))).toEqual({
      ok: true,
      summary: figures,
    });
  });

  it("calls a 2xx answer that speaks of the session an invalid token, with the service's message", () => {
    expect(classifySummaryResponse(201, '{"message":"Invalid session id"}')).toEqual({
      ok: false,
      problem: "token_invalid",
      detail: "201: Invalid session id",
    });
  });

  it("calls a 2xx answer that is not a summary (empty, HTML, bad figures) an unreachable MTAPI, never a reading", () => {
    expect(classifySummaryResponse(200, "")).toEqual({
      ok: false,
      problem: "mtapi_unreachable",
      detail: "200: summary is not a JSON object",
    });
    expect(classifySummaryResponse(200, "<html><body>Bad gateway</body></html>")).toMatchObject({
      ok: false,
      problem: "mtapi_unreachable",
    });
    expect(classifySummaryResponse(200, '{"balance":1,"equity":"NaN"}')).toMatchObject({
      ok: false,
      problem: "mtapi_unreachable",
    });
  });

  it.each([400, 401, 403, 404, 429])(
    "calls a %i answer without a code an invalid token",
    (status) => {
      expect(classifySummaryResponse(status, "Bad request")).toEqual({
        ok: false,
        problem: "token_invalid",
        detail: `${status}: Bad request`,
      });
    },
  );

  it("calls a 5xx that mentions the session an invalid token", () => {
    expect(classifySummaryResponse(500, '{"message":"Invalid SESSION id"}')).toEqual({
      ok: false,
      problem: "token_invalid",
      detail: "500: Invalid SESSION id",
    });
    expect(classifySummaryResponse(500, "Session not found")).toMatchObject({
      problem: "token_invalid",
    });
  });

  it("calls any other 5xx an unreachable MTAPI", () => {
    expect(classifySummaryResponse(502, "<html>Bad Gateway</html>")).toEqual({
      ok: false,
      problem: "mtapi_unreachable",
      detail: "502: <html>Bad Gateway</html>",
    });
    expect(classifySummaryResponse(503, "")).toMatchObject({ problem: "mtapi_unreachable" });
    expect(classifySummaryResponse(500, '{"message":"Internal error"}')).toMatchObject({
      problem: "mtapi_unreachable",
    });
  });

  it("never accepts a non-2xx answer, even one that looks like a summary", () => {
    expect(classifySummaryResponse(500, JSON.stringify(camel))).toMatchObject({ ok: false });
    expect(classifySummaryResponse(400, JSON.stringify(camel))).toMatchObject({
      ok: false,
      problem: "token_invalid",
    });
  });

  it("keeps the detail short for long error bodies", () => {
    const result = classifySummaryResponse(503, "x".repeat(10_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.detail.length).toBeLessThanOrEqual(205);
  });

  it("classifies any status and body without throwing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(fc.string(), fc.json()),
        (status, text) => {
          const result = classifySummaryResponse(status, text);
          if (result.ok) expect(status >= 200 && status < 300).toBe(true);
          else expect(ACCOUNT_PROBLEMS).toContain(result.problem);
        },
      ),
    );
  });
});

/** A fetcher that answers after `delayMs`, or rejects as soon as its signal aborts. */
function slowFetcher(
  delayMs: number,
  body: string,
  status = 200,
  seen: string[] = [],
): typeof fetch {
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(String(input));
    return new Promise<Response>((resolve, reject) => {
      const signal = init?.signal;
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => resolve(new Response(body, { status })), delayMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  }) as typeof fetch;
}

describe("fetchAccountSummary", () => {
  it("asks for the session's summary and parses it", async () => {
    const seen: string[] = [];
    const result = await fetchAccountSummary(
      "https://mtapi.test/",
      "a b/c",
      1_000,
      slowFetcher(0, JSON.stringify(camel), 200, seen),
    );
    expect(result).toEqual({ ok: true, summary: figures });
    expect(seen).toEqual(["https://mtapi.test/AccountSummary?id=a%20b%2Fc"]);
  });

  it("reports an expired session from the status and body", async () => {
    const result = await fetchAccountSummary(
      "https://mtapi.test",
      "s",
      1_000,
      slowFetcher(0, '{"message":"Invalid session id"}', 201),
    );
    expect(result).toEqual({
      ok: false,
      problem: "token_invalid",
      detail: "201: Invalid session id",
    });
  });

  it("masks the session id and other credentials in the detail of an error body", async () => {
    const session = "3f1c9a70-5b2e-4d8a-9c61-0e7f2a4b8d15";
    const body = JSON.stringify({
      message: `Invalid session id ${session} (GET /AccountSummary?id=${session}; token=abc123; Authorization: Bearer eyJhbGciOi.x.y)`,
    });
    const result = await fetchAccountSummary(
      "https://mtapi.test",
      session,
      1_000,
      slowFetcher(0, body, 500),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.detail).not.toContain(session);
    expect(result.detail).not.toContain("abc123");
    expect(result.detail).not.toContain("eyJhbGciOi");
    expect(result.detail).toBe(
      "500: Invalid session id *** (GET /AccountSummary?id=***; token=***; Authorization: Bearer ***)",
    );
  });

  it("masks the session id when the request itself fails with the URL in its message", async () => {
    const session = "sess/ion 42";
    const refused = ((url: string) =>
      Promise.reject(new TypeError(`fetch failed: ${url}`))) as unknown as typeof fetch;
    const result = await fetchAccountSummary("https://mtapi.test", session, 1_000, refused);
    expect(result).toEqual({
      ok: false,
      problem: "mtapi_unreachable",
      detail: "TypeError: fetch failed: https://mtapi.test/AccountSummary?id=***",
    });
  });

  it("gives up after the timeout and reports MTAPI unreachable", async () => {
    const started = performance.now();
    const result = await fetchAccountSummary(
      "https://mtapi.test",
      "s",
      30,
      slowFetcher(5_000, JSON.stringify(camel)),
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ ok: false, problem: "mtapi_unreachable" });
    if (!result.ok) expect(result.detail).toMatch(/timeout/i);
  });

  it("reports MTAPI unreachable when the request itself fails", async () => {
    const refused = (() => Promise.reject(new TypeError("fetch failed"))) as typeof fetch;
    expect(await fetchAccountSummary("https://mtapi.test", "s", 1_000, refused)).toEqual({
      ok: false,
      problem: "mtapi_unreachable",
      detail: "TypeError: fetch failed",
    });
    const weird = (() => Promise.reject("boom")) as typeof fetch;
    expect(await fetchAccountSummary("https://mtapi.test", "s", 1_000, weird)).toEqual({
      ok: false,
      problem: "mtapi_unreachable",
      detail: "boom",
    });
  });
});
