/**
 * Finding 7 of "Trust" (docs/security.md): a batch started every delivery at once, while a
 * Worker opens at most 6 connections and holds the rest, their 10 s timeout already running;
 * one slow receiver made others time out unsent. The fake fetch below holds requests beyond 6
 * in flight, as the platform does (local workerd does not).
 */
import { eq, inArray } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { DELIVERY_CONCURRENCY, deliverBatch } from "../../../src/alerts/deliver.ts";
import { recordAlerts } from "../../../src/alerts/record.ts";
import { webhookDeliveries } from "../../../src/db/schema.ts";
import { withTestDb } from "../helpers.ts";
import { deleteAllEndpoints, recordingQueue, registerHook } from "../alerts/sink-helpers.ts";

afterEach(deleteAllEndpoints);

/** A fetch that lets 6 requests be open at once and holds the others, as a Worker does. */
function sixConnectionFetch(answerMs: number) {
  let open = 0;
  let most = 0;
  const waiting: Array<() => void> = [];
  const fetcher = (async (_url: RequestInfo | URL, init?: RequestInit) => {
    const signal = init?.signal ?? undefined;
    if (open >= 6) await new Promise<void>((resolve) => waiting.push(resolve));
    open++;
    most = Math.max(most, open);
    try {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, answerMs);
        signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(signal.reason);
        });
      });
      return new Response("ok", { status: 200 });
    } finally {
      open--;
      waiting.shift()?.();
    }
  }) as typeof fetch;
  return { fetcher, most: () => most };
}

describe("webhook fan-out", () => {
  it("keeps at most 6 attempts in flight and starts each timeout with its request", async () => {
    const hook = await registerHook();
    const queues = { fast: recordingQueue(), slow: recordingQueue() };
    const ids = await withTestDb(async (db) => {
      const { ids: messageIds } = await recordAlerts(
        db,
        Array.from({ length: 18 }, () => ({
          type: "webhook.test" as const,
          data: {},
          endpointId: hook.id,
        })),
      );
      const rows = await db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(inArray(webhookDeliveries.messageId, messageIds));
      return rows.map((r) => r.id);
    });
    expect(ids).toHaveLength(18);
    // Each answer takes 300 ms, each attempt may take 500 ms: a held request would time out.
    const fake = sixConnectionFetch(300);
    const report = await withTestDb((db) =>
      deliverBatch(db, ids, {
        queues,
        allowLoopback: true,
        fetcher: fake.fetcher,
        timeoutMs: 500,
      }),
    );
    expect(DELIVERY_CONCURRENCY).toBe(6);
    expect(fake.most()).toBeLessThanOrEqual(6);
    expect(report).toMatchObject({ attempted: 18, delivered: 18, failed: 0 });
    const states = await withTestDb((db) =>
      db
        .select({ status: webhookDeliveries.status })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, hook.id)),
    );
    expect(states.every((s) => s.status === "delivered")).toBe(true);
  });
});
