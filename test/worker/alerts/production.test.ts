import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { markProblems } from "../../../src/accounts/write-changes.ts";
import worker from "../../../src/index.ts";
import type { PollMessage } from "../../../src/poll/dispatch.ts";
import { api } from "../api/helpers.ts";
import { createTestAccount, violationsOf, withTestDb } from "../helpers.ts";
import { messagesAbout } from "./sink-helpers.ts";

/** Delivers the same poll message twice, as the queue may. */
async function pollTwice(ids: number[]): Promise<void> {
  const body: PollMessage = { account_ids: ids, sweep_at: Date.now() };
  for (let delivery = 0; delivery < 2; delivery++) {
    const batch = createMessageBatch<PollMessage>("drawdown-sentinel-poll", [
      { id: `a-${delivery}`, timestamp: new Date(), attempts: delivery + 1, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
  }
}

describe("alert production", () => {
  it("records violation.recorded exactly once per violation, in the outbox, whatever the redeliveries", async () => {
    const account = await createTestAccount({ balance: 100_000, equity: 94_000 });
    await pollTwice([account.id]);
    await api("POST", "/v1/poll", { json: { account_ids: [account.id] } });

    const recorded = await violationsOf([account.id]);
    expect(recorded).toHaveLength(1);
    const messages = (await messagesAbout(account.id)).filter(
      (m) => m.type === "violation.recorded",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]!.payload).toMatchObject({
      type: "violation.recorded",
      data: { violation: { id: recorded[0]!.id, rule: recorded[0]!.rule } },
    });
  });

  it("records account.live_entered once when a poll moves an account live, and live_exited when an operator moves it back", async () => {
    const account = await createTestAccount({ balance: 100_000, equity: 95_150 });
    await pollTwice([account.id]);
    let types = (await messagesAbout(account.id)).map((m) => m.type);
    expect(types).toEqual(["account.live_entered"]);

    const res = await api("DELETE", `/v1/accounts/${account.id}/live`);
    expect(res.status).toBe(200);
    const messages = await messagesAbout(account.id);
    types = messages.map((m) => m.type);
    expect(types).toEqual(["account.live_entered", "account.live_exited"]);
    expect(messages[0]!.payload.data).toMatchObject({ usage: { daily: expect.any(Number) } });
  });

  it("records account.problem once when a problem appears and once when it clears", async () => {
    const account = await createTestAccount();
    await withTestDb(async (db) => {
      await markProblems(db, [{ accountId: account.id, problem: "session_expired" }]);
      await markProblems(db, [{ accountId: account.id, problem: "session_expired" }]);
      await markProblems(db, [{ accountId: account.id, problem: null }]);
      await markProblems(db, [{ accountId: account.id, problem: null }]);
    });
    const messages = await messagesAbout(account.id);
    expect(messages.map((m) => m.payload.data)).toMatchObject([
      { problem: "session_expired", detail: { change: "appeared", problem: "session_expired" } },
      { problem: null, detail: { change: "cleared", problem: "session_expired" } },
    ]);
  });

  it("records the clearing of a problem when a successful reading ends it", async () => {
    const account = await createTestAccount({ balance: 100_000, equity: 99_500 });
    await withTestDb((db) =>
      markProblems(db, [{ accountId: account.id, problem: "mtapi_unreachable" }]),
    );
    await pollTwice([account.id]);
    const details = (await messagesAbout(account.id)).map((m) => m.payload.data);
    expect(details).toMatchObject([
      { detail: { change: "appeared", problem: "mtapi_unreachable" } },
      { detail: { change: "cleared", problem: "mtapi_unreachable" } },
    ]);
  });
});
