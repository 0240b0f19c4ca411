import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PollQueueMessage } from "../../../src/poll/dispatch.ts";
import worker from "../../../src/index.ts";
import { eventually, getAccount, violationsOf } from "../helpers.ts";
import { ADMIN_TOKEN, BASE, api, type ApiAnswer, createViaApi, subscribedIds } from "./helpers.ts";
import { simAccount } from "../fixtures.ts";

const poll = (ids: number[]) => api("POST", "/v1/poll", { json: { account_ids: ids } });

describe("POST /v1/poll with account ids", () => {
  it("polls the accounts now, answers the report and stores their figures and a reading", async () => {
    const a = (await simAccount(104_000, 99_500)).account;
    const b = (await simAccount(100_000, 100_000)).account;
    const res = await poll([a.id, b.id]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      polled: 2,
      entered_live: 0,
      exited_live: 0,
      violations: 0,
      errors: 0,
      duration_ms: expect.any(Number),
    });
    const got = await api("GET", `/v1/accounts/${a.id}`);
    expect(got.body.metrics).toMatchObject({
      balance: 104_000,
      equity: 99_500,
      day_start: 104_000,
      daily_floor: 99_000,
      max_floor: 90_000,
      usage: { daily: 90, max: 5, overall: 90 },
      trading_day: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      updated_at: expect.any(String),
      source: "poll",
    });
    const equity = await api("GET", `/v1/accounts/${a.id}/equity`);
    expect(equity.status).toBe(200);
    expect(equity.body).toEqual({
      items: [
        {
          at: got.body.metrics.updated_at,
          balance: 104_000,
          equity: 99_500,
          usage: 90,
          daily_floor: 99_000,
          max_floor: 90_000,
        },
      ],
    });
    const past = await api(
      "GET",
      `/v1/accounts/${a.id}/equity?from=2020-01-01&to=2020-01-02T00:00:00Z`,
    );
    expect(past.body).toEqual({ items: [] });
  });

  it("recomputes floors and usage from the stored figures when the rules change", async () => {
    const a = (await simAccount(104_000, 99_500)).account;
    await poll([a.id]);
    const res = await api("PATCH", `/v1/accounts/${a.id}`, {
      json: {
        rules: { preset: "ftmo-2step", initial_balance: 100_000, daily_loss: { limit: 10 } },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.metrics).toMatchObject({
      balance: 104_000,
      equity: 99_500,
      daily_floor: 94_000,
      max_floor: 90_000,
      usage: { daily: 45, max: 5, overall: 45 },
    });
  });

  it("hands an account that crosses live_enter_pct to the live monitor", async () => {
    const a = (await simAccount(104_000, 99_150)).account;
    const res = await poll([a.id]);
    expect(res.body).toMatchObject({ polled: 1, entered_live: 1 });
    expect((await getAccount(a.id)).monitoringState).toBe("live");
    await eventually(async () => (await subscribedIds()).includes(a.id), 10_000, "subscription");
    // Leave the shared monitor as it was.
    expect((await api("DELETE", `/v1/accounts/${a.id}/live`)).status).toBe(200);
  });

  it("counts failures as errors and skips accounts that are not pollable", async () => {
    const unknownToSim = (await createViaApi()).account;
    const res = await poll([unknownToSim.id, 2_147_483_647]);
    expect(res.body).toMatchObject({ polled: 1, errors: 1 });
    expect((await api("GET", `/v1/accounts/${unknownToSim.id}`)).body.problem).toEqual(
      expect.any(String),
    );
  });
});

describe("violations", () => {
  it("records a breach found by a poll and lists it per account and overall; reset keeps it", async () => {
    const a = (await simAccount(104_000, 98_000)).account;
    const res = await poll([a.id]);
    expect(res.body).toMatchObject({ polled: 1, violations: 1 });
    const account = await api("GET", `/v1/accounts/${a.id}`);
    expect(account.body.status).toBe("breached");

    const mine = await api("GET", `/v1/accounts/${a.id}/violations`);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      items: [
        {
          id: expect.any(Number),
          account_id: a.id,
          rule: "daily_loss",
          period: account.body.metrics.trading_day,
          equity: 98_000,
          floor: 99_000,
          usage: expect.any(Number),
          source: "poll",
          detected_at: expect.stringMatching(/Z$/),
          rules_version: 1,
          reset_epoch: 0,
        },
      ],
      next_cursor: null,
    });
    const all = await api("GET", `/v1/violations?account_id=${a.id}`);
    expect(all.body).toEqual(mine.body);
    const since = new Date(Date.parse(mine.body.items[0].detected_at) + 1).toISOString();
    expect(
      (await api("GET", `/v1/violations?account_id=${a.id}&since=${since}`)).body.items,
    ).toEqual([]);

    // Reset: the rules evaluate afresh, the equity is still below the floor, so it breaches
    // again: a violation of its own, in the reset's epoch (docs/security.md, "Reset epochs").
    expect((await api("POST", `/v1/accounts/${a.id}/reset`)).body.status).toBe("active");
    expect((await poll([a.id])).body).toMatchObject({ polled: 1, violations: 1 });
    expect((await getAccount(a.id)).status).toBe("breached");
    expect((await violationsOf([a.id])).map((v) => v.resetEpoch).sort()).toEqual([0, 1]);
    // A breached account is not polled.
    expect((await poll([a.id])).body).toMatchObject({ polled: 0 });
  });

  it("pages through violations newest first", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await simAccount(100_000, 80_000)).account.id);
    expect((await poll(ids)).body).toMatchObject({ violations: 6 });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiAnswer = await api(
        "GET",
        `/v1/violations?limit=4${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(
        ...res.body.items
          .filter((v: { account_id: number }) => ids.includes(v.account_id))
          .map((v: { id: number }) => v.id),
      );
      cursor = res.body.next_cursor;
    } while (cursor && seen.length < 6);
    expect(seen).toHaveLength(6);
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
  });

  it("answers 404 for the violations and equity of an unknown account", async () => {
    expect((await api("GET", "/v1/accounts/2147483647/violations")).status).toBe(404);
    expect((await api("GET", "/v1/accounts/2147483647/equity")).status).toBe(404);
  });
});

describe("POST /v1/poll without a body", () => {
  it("answers 202 with the number of pollable accounts and sweeps them in the background", async () => {
    const a = (await simAccount(100_000, 99_000)).account;
    const res = await api("POST", "/v1/poll");
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accounts: expect.any(Number) });
    expect(res.body.accounts).toBeGreaterThanOrEqual(1);
    // The poll queue's consumer runs the sweep.
    const metrics = await eventually(async () => (await getAccount(a.id)).metrics, 10_000, "sweep");
    expect(metrics).toMatchObject({ equity: 99_000, source: "poll" });
  });

  it("sends the full sweep to the poll queue instead of running it in the request, and the consumer sweeps", async () => {
    const a = (await simAccount(100_000, 98_500)).account;
    const sent: PollQueueMessage[] = [];
    const queue = {
      send: async (body: PollQueueMessage) => void sent.push(body),
      sendBatch: async (msgs: Iterable<{ body: PollQueueMessage }>) => {
        for (const m of msgs) sent.push(m.body);
      },
    };
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${BASE}/v1/poll`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }),
      { ...env, POLL_QUEUE: queue as unknown as Env["POLL_QUEUE"] },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(202);
    expect(sent).toEqual([{ full_sweep: true, requested_at: expect.any(Number) }]);
    // Nothing swept in the request.
    expect((await getAccount(a.id)).metrics).toBeNull();
    // The consumer sweeps on delivery.
    const batch = createMessageBatch<PollQueueMessage>("drawdown-sentinel-poll", [
      { id: "sweep-1", timestamp: new Date(), attempts: 1, body: sent[0]! },
    ]);
    const qctx = createExecutionContext();
    await worker.queue(batch, env, qctx);
    const result = await getQueueResult(batch, qctx);
    expect(result.explicitAcks).toEqual(["sweep-1"]);
    expect((await getAccount(a.id)).metrics).toMatchObject({ equity: 98_500, source: "poll" });
  });

  it("treats an empty JSON body as no body", async () => {
    const res = await api("POST", "/v1/poll", { raw: "" });
    expect(res.status).toBe(202);
    const empty = await api("POST", "/v1/poll", { json: {} });
    expect(empty.status).toBe(202);
  });
});
