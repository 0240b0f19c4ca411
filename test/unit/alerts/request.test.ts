import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { MessagePayload } from "../../../src/domain/alert-events.ts";
import { buildRequest } from "../../../src/alerts/request.ts";
import { newSecret } from "../../../src/alerts/secret.ts";
import { slackText } from "../../../src/alerts/slack.ts";

const account = { id: 7, login: "5550001", server: "Sim-Demo", label: "Phase 1 #1" };
const breach: MessagePayload = {
  type: "violation.recorded",
  timestamp: "2026-11-29T04:00:00.000Z",
  data: {
    account,
    violation: {
      id: 3,
      rule: "daily_loss",
      period: "2026-11-29",
      equity: 94900,
      floor: 95000,
      usage: 102,
      source: "event",
      detected_at: "2026-11-29T04:00:00.000Z",
    },
  },
};

describe("Standard Webhooks signing", () => {
  it("matches the published reference signature", () => {
    // The example of the Standard Webhooks / Svix documentation.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const signature = new Webhook(secret).sign(
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("signs id.timestamp.body with the secret's decoded bytes, as an independent HMAC computes it", () => {
    const secret = newSecret();
    const now = Date.UTC(2026, 10, 29, 4, 0, 0, 250);
    const req = buildRequest("standard", "msg_abc", breach, secret, now);
    expect(req.headers["webhook-id"]).toBe("msg_abc");
    expect(req.headers["webhook-timestamp"]).toBe(String(Math.floor(now / 1000)));
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key)
      .update(`msg_abc.${req.headers["webhook-timestamp"]}.${req.body}`)
      .digest("base64");
    expect(req.headers["webhook-signature"]).toBe(`v1,${expected}`);
    expect(JSON.parse(req.body)).toEqual(breach);
  });

  it("produces requests that the standardwebhooks verifier accepts, and only with the right secret", () => {
    const secret = newSecret();
    const req = buildRequest("standard", "msg_1", breach, secret, Date.now());
    expect(new Webhook(secret).verify(req.body, req.headers)).toEqual(breach);
    expect(() => new Webhook(newSecret()).verify(req.body, req.headers)).toThrow();
    expect(() =>
      new Webhook(secret).verify(req.body.replace("94900", "99999"), req.headers),
    ).toThrow();
  });

  it("makes secrets of whsec_ and 24 random bytes in base64", () => {
    const a = newSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(24);
    expect(newSecret()).not.toBe(a);
  });
});

describe("slack format", () => {
  it("sends only {text}, unsigned", () => {
    const req = buildRequest("slack", "msg_1", breach, newSecret(), Date.now());
    expect(req.headers["webhook-signature"]).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ text: slackText(breach) });
  });

  it("says who breached which rule and by how much", () => {
    expect(slackText(breach)).toBe(
      ":rotating_light: Breach: 5550001@Sim-Demo (Phase 1 #1) broke daily_loss (2026-11-29): equity 94,900 below floor 95,000, usage 102.0%",
    );
    expect(
      slackText({
        type: "account.problem",
        timestamp: "",
        data: { account, problem: null, detail: { change: "cleared", problem: "stale" } },
      }),
    ).toBe("5550001@Sim-Demo (Phase 1 #1): problem stale cleared");
    expect(
      slackText({
        type: "monitor.degraded",
        timestamp: "",
        data: { health: "degraded", reasons: ["events link down"] },
      }),
    ).toBe("Monitor degraded (degraded): events link down");
  });
});
