/**
 * An action's `AccountSummary` read (src/enforce/broker.ts over the bridge's own client): an
 * answer marked `synced: false` is not the account's equity (docs/mtapi-bridge.md), so it is a
 * failed read, never evidence of an equity of 0 (docs/enforcement.md, "Exactly once").
 */
import { describe, expect, it } from "vitest";
import { brokerCalls } from "../../../src/enforce/broker.ts";

const answering =
  (body: unknown, status = 200): typeof fetch =>
  async () =>
    new Response(JSON.stringify(body), { status });

const summary = (body: unknown) =>
  brokerCalls({
    mtapiUrl: "http://127.0.0.1:9",
    sessionId: "s",
    login: "1",
    server: "Demo",
    fetcher: answering(body),
  }).readSummary();

describe("an action's summary read", () => {
  it("takes equity and isInvestor from a synced answer", async () => {
    expect(
      await summary({ balance: 100_000, equity: 94_900, synced: true, isInvestor: false }),
    ).toEqual({ ok: true, equity: 94_900, isInvestor: false });
  });

  it("an unsynced answer (zeros, synced: false) is a failed read, in either spelling", async () => {
    for (const synced of [{ synced: false }, { Synced: false }]) {
      const r = await summary({ balance: 0, equity: 0, isInvestor: false, ...synced });
      expect(r).toMatchObject({ ok: false, code: "UNSYNCED" });
    }
  });
});
