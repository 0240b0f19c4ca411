import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { enqueuePoll, toMessages, type PollMessage } from "../../src/poll/dispatch.ts";
import {
  createTestAccounts,
  eventually,
  getAccount,
  sim,
  violationsOf,
  withTestDb,
} from "./helpers.ts";
import { readings } from "../../src/db/schema.ts";
import { inArray } from "drizzle-orm";

describe("the poll queue", () => {
  it("splits a sweep into messages of at most 50 accounts", () => {
    const ids = Array.from({ length: 10_001 }, (_, i) => i + 1);
    const messages = toMessages(ids, 123);
    expect(messages).toHaveLength(201);
    expect(messages.every((m) => m.account_ids.length <= 50 && m.sweep_at === 123)).toBe(true);
    expect(messages.flatMap((m) => m.account_ids)).toEqual(ids);
  });

  it("polls the accounts of enqueued batches through the queue consumer", async () => {
    const rows = await createTestAccounts(3, { balance: 100_000, equity: 99_000 });
    await enqueuePoll(
      env.POLL_QUEUE as Queue<PollMessage>,
      rows.map((r) => r.id),
      Date.now(),
    );
    for (const r of rows) {
      await eventually(
        async () => (await getAccount(r.id)).metrics?.equity === 99_000,
        10_000,
        `account ${r.id} polled`,
      );
    }
  });

  it("does not read an account again when its batch is redelivered after the account was read", async () => {
    // Accounts that stay active: only the `last_at < sweep_at` guard keeps the second
    // delivery from reading them again (status does not).
    const rows = await createTestAccounts(2, { balance: 100_000, equity: 99_000 });
    const ids = rows.map((r) => r.id);
    const body: PollMessage = { account_ids: ids, sweep_at: Date.now() - 1 };
    for (let delivery = 0; delivery < 2; delivery++) {
      const batch = createMessageBatch<PollMessage>("drawdown-sentinel-poll", [
        { id: `m-${delivery}`, timestamp: new Date(), attempts: delivery + 1, body },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.ackAll).toBe(true);
      expect(result.retryBatch.retry).toBe(false);
    }
    for (const r of rows) {
      expect((await sim<{ reads: number }>(`/accounts/${r.sessionId}`)).reads).toBe(1);
      const row = await getAccount(r.id);
      expect(row.status).toBe("active");
      expect(row.metrics?.equity).toBe(99_000);
    }
    const points = await withTestDb((db) =>
      db.select().from(readings).where(inArray(readings.accountId, ids)),
    );
    expect(points).toHaveLength(2);
    expect(await violationsOf(ids)).toHaveLength(0);
  });

  it("reads an account again for a later sweep", async () => {
    const [row] = await createTestAccounts(1, { balance: 100_000, equity: 99_000 });
    for (let sweep = 0; sweep < 2; sweep++) {
      const body: PollMessage = { account_ids: [row!.id], sweep_at: Date.now() + sweep * 1000 };
      const batch = createMessageBatch<PollMessage>("drawdown-sentinel-poll", [
        { id: `s-${sweep}`, timestamp: new Date(), attempts: 1, body },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    }
    expect((await sim<{ reads: number }>(`/accounts/${row!.sessionId}`)).reads).toBe(2);
  });
});
