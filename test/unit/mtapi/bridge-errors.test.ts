/**
 * The real bridge's answers (docs/mtapi-bridge.md): errors classified per code whatever the
 * status, JSON errors in a 200, numbers as strings, an empty token, `synced: false` and zero
 * figures: never a reading.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifySummaryResponse,
  fetchAccountSummary,
  guardSummary,
} from "../../../src/mtapi/account-summary.ts";
import { unsyncedReason } from "../../../src/domain/reading-guard.ts";
import { MTAPI_ERROR_CODES, problemOfCode } from "../../../src/domain/vocabulary.ts";

const EXPECTED: Record<(typeof MTAPI_ERROR_CODES)[number], string> = {
  INVALID_TOKEN: "token_invalid",
  INVALID_ACCOUNT: "credentials_rejected",
  SERVICE_NOT_AVAILABLE: "upstream_unavailable",
  MARKET_CLOSED: "upstream_unavailable",
  CONNECT_ERROR: "upstream_unavailable",
  TIMEOUT: "mtapi_unreachable",
  INVALID_TICKET: "mtapi_unreachable",
  NULL_ARGUMENT: "token_invalid",
};

describe("errors classified per code", () => {
  it.each(MTAPI_ERROR_CODES)("%s as HTTP 201, 200, 400 and 500 is one problem", (code) => {
    const body = JSON.stringify({ code, message: `something about ${code}` });
    for (const status of [201, 200, 400, 500]) {
      expect(classifySummaryResponse(status, body)).toEqual({
        ok: false,
        problem: EXPECTED[code],
        code,
        detail: `${status} ${code}: something about ${code}`,
      });
    }
  });

  it("a closed market is not the account's problem: upstream, like a server that is down", () => {
    expect(problemOfCode("MARKET_CLOSED")).toBe("upstream_unavailable");
    expect(problemOfCode(" market_closed ")).toBe("upstream_unavailable");
  });

  it("an unknown code is the bridge failing, never a reading", () => {
    expect(classifySummaryResponse(201, '{"code":"WHATEVER_ELSE","message":"x"}')).toMatchObject({
      ok: false,
      problem: "mtapi_unreachable",
      code: "WHATEVER_ELSE",
    });
  });

  it("a JSON error in a 200 beside figures is still an error", () => {
    const body = JSON.stringify({ code: "INVALID_TOKEN", message: "gone", balance: 1, equity: 1 });
    expect(classifySummaryResponse(200, body)).toMatchObject({
      ok: false,
      problem: "token_invalid",
    });
  });

  it("numbers as strings are read; booleans as strings too", () => {
    const body = JSON.stringify({ balance: "100000.00", equity: "99000.50", synced: "true" });
    expect(classifySummaryResponse(200, body)).toEqual({
      ok: true,
      summary: { balance: 100_000, equity: 99_000.5, synced: true },
    });
  });

  it("an empty token is never sent: token_invalid at once", async () => {
    const never = (() => {
      throw new Error("must not be called");
    }) as unknown as typeof fetch;
    expect(await fetchAccountSummary("https://mtapi.test", "", 1_000, never)).toEqual({
      ok: false,
      problem: "token_invalid",
      detail: "no session token",
    });
  });

  it("classifies any status and body into the vocabulary without throwing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.record({ code: fc.string(), message: fc.string() }).map((o) => JSON.stringify(o)),
        ),
        (status, text) => {
          const r = classifySummaryResponse(status, text);
          if (r.ok) {
            expect(status >= 200 && status < 300).toBe(true);
            expect(r.summary.synced).not.toBe(false);
          } else expect(Object.values(EXPECTED).concat("unsynced")).toContain(r.problem);
        },
      ),
    );
  });
});

describe("unsynced answers are never a reading", () => {
  it("synced: false is unsynced, whatever the figures", () => {
    for (const synced of [false, "false", "FALSE"]) {
      const body = JSON.stringify({ balance: 0, equity: 0, synced, isInvestor: true });
      expect(classifySummaryResponse(200, body)).toEqual({
        ok: false,
        problem: "unsynced",
        detail: "200: synced: false",
      });
    }
    const figures = JSON.stringify({ balance: 100_000, equity: 2_000, synced: false });
    expect(classifySummaryResponse(200, figures)).toMatchObject({ problem: "unsynced" });
  });

  it("isInvestor is read", () => {
    const body = JSON.stringify({ balance: 1, equity: 1, synced: true, isInvestor: true });
    expect(classifySummaryResponse(200, body)).toMatchObject({
      ok: true,
      summary: { isInvestor: true, synced: true },
    });
  });

  it("zeros where the last balance was not zero are unsynced; zeros on a zero account are a reading", () => {
    const zeros = { ok: true as const, summary: { balance: 0, equity: 0 } };
    expect(guardSummary(zeros, 100_000)).toMatchObject({ ok: false, problem: "unsynced" });
    expect(guardSummary(zeros, 0)).toEqual(zeros);
    expect(guardSummary(zeros, undefined)).toEqual(zeros);
    const real = { ok: true as const, summary: { balance: 0, equity: 5 } };
    expect(guardSummary(real, 100_000)).toEqual(real);
  });

  it("an event with equity 0 and no balance after a non-zero balance is unsynced", () => {
    expect(unsyncedReason({ equity: 0 }, 50_000)).not.toBeNull();
    expect(unsyncedReason({ equity: 0, balance: 10 }, 50_000)).toBeNull();
    expect(unsyncedReason({ equity: 10, synced: true }, 50_000)).toBeNull();
  });
});
