import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { runAlertsPass } from "../../../src/alerts/consumer.ts";
import { deliverBatch } from "../../../src/alerts/deliver.ts";
import { forwardPending } from "../../../src/alerts/forward.ts";
import { recordAlerts } from "../../../src/alerts/record.ts";
import { webhookAudit, webhookDeliveries, webhookEndpoints } from "../../../src/db/schema.ts";
import { api } from "../api/helpers.ts";
import { createTestAccount, createTestAccounts, eventually, withTestDb } from "../helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "../live/live-helpers.ts";
import {
  configureHook,
  deleteAllEndpoints,
  endpointRow,
  receivedBy,
  recordingQueue,
  registerHook,
} from "./sink-helpers.ts";

const DAY = 24 * 3600_000;

afterEach(deleteAllEndpoints);

describe("webhook delivery", () => {
  it("delivers a polled breach to a registered receiver, signed so standardwebhooks verifies it", async () => {
    const hook = await registerHook({ events: ["violation.recorded"] });
    const account = await createTestAccount({ balance: 100_000, equity: 94_000 });
    const poll = await api("POST", "/v1/poll", { json: { account_ids: [account.id] } });
    expect(poll.status).toBe(200);

    const [got] = await eventually(
      async () => {
        const all = await receivedBy(hook.hook);
        const mine = all.filter((r) => JSON.parse(r.body).data.account.id === account.id);
        return mine.length ? mine : null;
      },
      10_000,
      "the breach at the receiver",
    );
    // The package's own verify accepts it (it throws on a bad signature or stale timestamp).
    const payload = new Webhook(hook.secret).verify(got!.body, got!.headers) as {
      type: string;
      timestamp: string;
      data: { account: Record<string, unknown>; violation: Record<string, unknown> };
    };
    expect(payload.type).toBe("violation.recorded");
    expect(payload.data.account).toMatchObject({
      id: account.id,
      login: account.login,
      server: account.server,
      label: "test",
    });
    expect(payload.data.violation).toMatchObject({
      rule: "daily_loss",
      equity: 94_000,
      floor: 95_000,
    });
    expect(got!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(got!.headers["webhook-signature"]).toMatch(/^v1,/);
    // A wrong secret does not verify.
    expect(() =>
      new Webhook("whsec_" + btoa("not the secret of this endpoint")).verify(
        got!.body,
        got!.headers,
      ),
    ).toThrow();
  });

  it("delivers a breach detected by a live event, recorded by the monitor's writer", async () => {
    const hook = await registerHook({ events: ["violation.recorded"] });
    const monitor = freshMonitor();
    const [a, other] = await createTestAccounts(2, { balance: 100_000, equity: 95_300 });
    // A second account keeps the shared connection open after the first one leaves.
    await goLive(monitor, [a!, other!]);
    await simWait({ subscribed: [a!.sessionId, other!.sessionId] });
    await emit({
      type: "OrderProfit",
      session_id: a!.sessionId,
      data: { balance: 100_000, equity: 94_900 },
    });
    const [got] = await eventually(
      async () => {
        const all = await receivedBy(hook.hook);
        const mine = all.filter((r) => JSON.parse(r.body).data.account.id === a!.id);
        return mine.length ? mine : null;
      },
      10_000,
      "the live breach at the receiver",
    );
    const payload = new Webhook(hook.secret).verify(got!.body, got!.headers) as {
      data: { violation: { source: string; equity: number } };
    };
    expect(payload.data.violation).toMatchObject({ source: "event", equity: 94_900 });
  });

  it("retries a receiver that answers 503 with the same webhook-id, and logs both attempts", async () => {
    const hook = await registerHook();
    await configureHook(hook.hook, { script: [503], then: 200 });
    const sent = await api("POST", `/v1/webhooks/${hook.id}/test`);
    expect(sent.status).toBe(202);

    const got = await eventually(
      async () => {
        const all = await receivedBy(hook.hook);
        return all.length >= 2 ? all : null;
      },
      20_000,
      "the retry",
    );
    expect(got.map((r) => r.answered)).toEqual([503, 200]);
    expect(got[0]!.headers["webhook-id"]).toBe(sent.body.message_id);
    expect(got[1]!.headers["webhook-id"]).toBe(sent.body.message_id);
    // Each attempt is signed afresh (its own timestamp) and verifies.
    for (const r of got)
      expect(() => new Webhook(hook.secret).verify(r.body, r.headers)).not.toThrow();

    const log = await eventually(
      async () => {
        const res = await api("GET", `/v1/webhooks/${hook.id}/deliveries`);
        return res.body.items.length >= 2 ? res.body : null;
      },
      5_000,
      "two log entries",
    );
    expect(log.items).toMatchObject([
      {
        message_id: sent.body.message_id,
        type: "webhook.test",
        status_code: 200,
        outcome: "delivered",
        error: null,
      },
      {
        message_id: sent.body.message_id,
        type: "webhook.test",
        status_code: 503,
        outcome: "retrying",
        error: "HTTP 503",
      },
    ]);
    expect(log.items[0].duration_ms).toBeGreaterThanOrEqual(0);
    // The endpoint's failure run ended with the success.
    expect((await endpointRow(hook.id))!.failingSince).toBeNull();

    const failedOnly = await api("GET", `/v1/webhooks/${hook.id}/deliveries?status=retrying`);
    expect(failedOnly.body.items).toHaveLength(1);
    const page1 = await api("GET", `/v1/webhooks/${hook.id}/deliveries?limit=1`);
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await api(
      "GET",
      `/v1/webhooks/${hook.id}/deliveries?limit=1&cursor=${page1.body.next_cursor}`,
    );
    expect(page2.body.items[0].outcome).toBe("retrying");
    expect(page2.body.next_cursor).toBeNull();
  });

  it("retries one delivery on request with the same message id", async () => {
    const hook = await registerHook();
    const sent = await api("POST", `/v1/webhooks/${hook.id}/test`);
    await eventually(async () => (await receivedBy(hook.hook)).length === 1, 10_000, "first");
    const retried = await api(
      "POST",
      `/v1/webhooks/${hook.id}/deliveries/${sent.body.message_id}/retry`,
    );
    expect(retried.status).toBe(202);
    const got = await eventually(
      async () => {
        const all = await receivedBy(hook.hook);
        return all.length === 2 ? all : null;
      },
      10_000,
      "the retried delivery",
    );
    expect(got[1]!.headers["webhook-id"]).toBe(sent.body.message_id);
    const unknown = await api(
      "POST",
      `/v1/webhooks/${hook.id}/deliveries/msg_${"0".repeat(32)}/retry`,
    );
    expect(unknown.status).toBe(404);
  });

  it("still delivers a message whose queue send was lost after the commit, from the cron's pass", async () => {
    const hook = await registerHook();
    // A crash right after the commit: the message and its delivery are stored, nothing is sent.
    const recorded = await withTestDb((db) =>
      recordAlerts(db, [{ type: "webhook.test", data: {}, endpointId: hook.id }]),
    );
    expect(recorded.deliveries).toHaveLength(1);
    // The cron's pass, three minutes later, finds the delivery overdue and enqueues it.
    await runAlertsPass(env, Date.now() + 3 * 60_000);
    const [got] = await eventually(
      async () => {
        const all = await receivedBy(hook.hook);
        return all.length ? all : null;
      },
      10_000,
      "the rescued delivery",
    );
    expect(got!.headers["webhook-id"]).toBe(recorded.ids[0]);
  });

  it("sends {text} unsigned to a slack-format endpoint", async () => {
    const hook = await registerHook({ format: "slack" });
    await api("POST", `/v1/webhooks/${hook.id}/test`);
    const [got] = await eventually(
      async () => {
        const all = await receivedBy(hook.hook);
        return all.length ? all : null;
      },
      10_000,
      "the slack message",
    );
    expect(JSON.parse(got!.body)).toEqual({ text: "Drawdown Sentinel test message" });
    expect(got!.headers["webhook-signature"]).toBeUndefined();
  });

  it("disables an endpoint after 3 days of failures, audited, and fails its pending deliveries", async () => {
    const hook = await registerHook();
    await configureHook(hook.hook, { then: 500 });
    const queues = { fast: recordingQueue(), slow: recordingQueue() };
    const t0 = Date.now();

    /** Records a test message for the endpoint and attempts it at `at` (fake time). */
    const attemptAt = async (at: number) =>
      withTestDb(async (db) => {
        const {
          ids: [messageId],
        } = await recordAlerts(
          db,
          [{ type: "webhook.test", data: {}, endpointId: hook.id }],
          new Date(at),
        );
        // Recorded with its delivery: nothing is left for the forwarder.
        expect((await forwardPending(db, queues, at)).deliveries).toBe(0);
        const rows = await db
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.messageId, messageId!));
        return deliverBatch(
          db,
          rows.map((r) => r.id),
          { queues, allowLoopback: true, now: () => at },
        );
      });

    const first = await attemptAt(t0);
    expect(first).toMatchObject({ attempted: 1, delivered: 0, disabled: [] });
    const failingSince = (await endpointRow(hook.id))!.failingSince!.getTime();
    expect(failingSince).toBeLessThanOrEqual(t0);
    // The failed attempt is retried on the slow lane after 5 s.
    expect(queues.slow.sent.at(-1)).toMatchObject({ kind: "deliver" });

    await attemptAt(t0 + 2 * DAY);
    expect((await endpointRow(hook.id))!.enabled).toBe(true);

    const last = await attemptAt(failingSince + 3 * DAY + 1000);
    expect(last.disabled).toEqual([hook.id]);
    const row = await endpointRow(hook.id);
    expect(row).toMatchObject({ enabled: false, disabledReason: "failing for 3 days" });
    const audit = await withTestDb((db) =>
      db.select().from(webhookAudit).where(eq(webhookAudit.endpointId, hook.id)),
    );
    expect(audit.map((a) => a.action)).toEqual(["created", "disabled"]);
    expect(audit[1]).toMatchObject({ actor: "system" });
    const pending = await withTestDb((db) =>
      db
        .select()
        .from(webhookDeliveries)
        .where(inArray(webhookDeliveries.endpointId, [hook.id])),
    );
    expect(pending.every((d) => d.status !== "pending")).toBe(true);
    const shown = await api("GET", `/v1/webhooks/${hook.id}`);
    expect(shown.body).toMatchObject({ enabled: false, disabled_reason: "failing for 3 days" });
  });

  it("marks a message failed once its retries would pass 24 hours", async () => {
    const hook = await registerHook();
    await configureHook(hook.hook, { then: 502 });
    const queues = { fast: recordingQueue(), slow: recordingQueue() };
    const t0 = Date.now();
    const id = await withTestDb(async (db) => {
      const {
        ids: [messageId],
      } = await recordAlerts(
        db,
        [{ type: "webhook.test", data: {}, endpointId: hook.id }],
        new Date(t0),
      );
      const [row] = await db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.messageId, messageId!));
      return row!.id;
    });
    // Attempts at the scheduled times, on a fake clock: 5 s, 30 s, 2 min, 10 min, 1 h, 3 h...
    let at = t0;
    let attempts = 0;
    for (;;) {
      const report = await withTestDb((db) =>
        deliverBatch(db, [id], { queues, allowLoopback: true, now: () => at }),
      );
      attempts++;
      if (report.failed === 1) break;
      const [d] = await withTestDb((db) =>
        db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)),
      );
      at = d!.nextAttemptAt.getTime();
      expect(attempts).toBeLessThan(20);
    }
    expect(attempts).toBe(13);
    expect(at - t0).toBeLessThanOrEqual(DAY);
    const log = await api("GET", `/v1/webhooks/${hook.id}/deliveries?limit=500`);
    expect(log.body.items).toHaveLength(13);
    expect(log.body.items[0]).toMatchObject({ outcome: "failed", status_code: 502 });
    // The endpoint itself stays enabled: it has failed for less than 3 days.
    const [e] = await withTestDb((db) =>
      db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id)),
    );
    expect(e!.enabled).toBe(true);
  });
});
