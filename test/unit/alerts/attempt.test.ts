import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attemptDelivery } from "../../../src/alerts/attempt.ts";
import { startWebhookSink, type WebhookSink } from "../../../dev/webhook-sink.ts";

let sink: WebhookSink;
beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(() => sink.close());

describe("one delivery attempt", () => {
  it("counts a 2xx as delivered and anything else as a failure with the status", async () => {
    sink.configure("a", { script: [204, 503, 302] });
    const url = sink.hookUrl("a");
    expect(await attemptDelivery(fetch, url, {}, "{}")).toMatchObject({
      ok: true,
      statusCode: 204,
      error: null,
    });
    expect(await attemptDelivery(fetch, url, {}, "{}")).toMatchObject({
      ok: false,
      statusCode: 503,
      error: "HTTP 503",
    });
    // Redirects are not followed: a receiver must answer itself.
    expect(await attemptDelivery(fetch, url, {}, "{}")).toMatchObject({
      ok: false,
      statusCode: 302,
    });
    expect(sink.received("a")).toHaveLength(3);
  });

  it("gives up on a receiver that does not answer within the timeout", async () => {
    sink.configure("b", { then: "hang" });
    const r = await attemptDelivery(fetch, sink.hookUrl("b"), {}, "{}", 200);
    expect(r).toMatchObject({ ok: false, statusCode: null, error: "timeout after 0.2 s" });
    expect(r.durationMs).toBeGreaterThanOrEqual(150);
  });

  it("reports a refused connection without the URL's credentials", async () => {
    const closed = await startWebhookSink();
    const url = closed.hookUrl("c").replace("http://", "http://alice:s3cr3t@");
    await closed.close();
    const r = await attemptDelivery(fetch, url, {}, "{}");
    expect(r.ok).toBe(false);
    expect(r.statusCode).toBeNull();
    expect(r.error).not.toContain("s3cr3t");
  });
});
