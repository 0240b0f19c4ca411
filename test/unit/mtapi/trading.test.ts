/**
 * The MTAPI calls of an enforcement action (src/mtapi/trading.ts): an `AccountSummary` marked
 * `synced: false` is not the account's equity (docs/mtapi-bridge.md), so it is a failed read,
 * never evidence of an equity of 0.
 */
import { describe, expect, it } from "vitest";
import { readSummary } from "../../../src/mtapi/trading.ts";

const answering =
  (body: unknown, status = 200): typeof fetch =>
  async () =>
    new Response(JSON.stringify(body), { status });

const opts = (fetcher: typeof fetch) => ({
  mtapiUrl: "http://mtapi.test",
  sessionId: "s",
  fetcher,
});

describe("readSummary for an action", () => {
  it("takes equity and isInvestor from a synced answer", async () => {
    const r = await readSummary(
      opts(answering({ balance: 100_000, equity: 94_900, synced: true, isInvestor: false })),
    );
    expect(r).toEqual({ ok: true, equity: 94_900, isInvestor: false });
  });

  it("an unsynced answer (zeros, synced: false) is a failed read, in either spelling", async () => {
    for (const synced of [{ synced: false }, { Synced: false }]) {
      const r = await readSummary(
        opts(answering({ balance: 0, equity: 0, isInvestor: false, ...synced })),
      );
      expect(r).toMatchObject({ ok: false, code: "UNSYNCED" });
    }
  });

  it("an answer without the flag is read as before", async () => {
    const r = await readSummary(opts(answering({ Balance: 100_000, Equity: 95_000 })));
    expect(r).toEqual({ ok: true, equity: 95_000, isInvestor: null });
  });
});
