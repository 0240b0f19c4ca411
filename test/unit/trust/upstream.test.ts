/** "Trust", Low list: plain http:// and ws:// upstreams are refused but to a local simulator. */
import { describe, expect, it } from "vitest";
import { upstreamProblem } from "../../../src/domain/upstream.ts";
import { fetchAccountSummary } from "../../../src/mtapi/account-summary.ts";

describe("upstream URLs", () => {
  it("take https:// and wss://, and http:// or ws:// only to a loopback host", () => {
    for (const ok of [
      "https://mtapi.example.com",
      "wss://events.example.com/",
      "http://127.0.0.1:8790",
      "ws://localhost:8790/events",
      "ws://[::1]:9/x",
    ])
      expect(upstreamProblem(ok), ok).toBeNull();
    for (const bad of [
      "http://mtapi.example.com",
      "ws://events.example.com/",
      "ftp://x.example.com",
      "not a url",
    ])
      expect(upstreamProblem(bad), bad).not.toBeNull();
  });

  it("never sends a session token to a plain http:// MTAPI", async () => {
    let called = false;
    const fetcher = (async () => {
      called = true;
      return new Response("{}");
    }) as unknown as typeof fetch;
    const result = await fetchAccountSummary(
      "http://mtapi.example.com",
      "secret-sess",
      1_000,
      fetcher,
    );
    expect(called).toBe(false);
    expect(result).toMatchObject({ ok: false, problem: "mtapi_unreachable" });
    expect(JSON.stringify(result)).not.toContain("secret-sess");
  });
});
