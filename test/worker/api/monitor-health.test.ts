import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { figuresChange } from "../../../src/domain/outcome.ts";
import { monitorFor } from "../../../src/live/client/address.ts";
import { initialState } from "../../../src/risk/index.ts";
import { createTestAccount, getAccount } from "../helpers.ts";
import { api } from "./helpers.ts";

describe("GET /v1/monitor, version 2", () => {
  it("shows health, reasons, one shard, dead letters and coverage", async () => {
    const res = await api("GET", "/v1/monitor");
    expect(res.status).toBe(200);
    expect(["ok", "degraded"]).toContain(res.body.health);
    expect(Array.isArray(res.body.reasons)).toBe(true);
    expect(res.body.health === "ok").toBe(res.body.reasons.length === 0);
    expect(res.body.shards).toHaveLength(1);
    expect(res.body.shards[0]).toMatchObject({ shard: 0, subscriptions: res.body.subscriptions });
    expect(typeof res.body.dead_letters).toBe("number");
    expect(res.body.coverage.max_unwatched_s).toBeGreaterThanOrEqual(0);
    expect(res.body.coverage.accounts_stale).toBeGreaterThanOrEqual(0);
  });
});

describe("dead letters", () => {
  it("lists an outbox entry that failed on its own, retries it, and lets it go once it lands", async () => {
    // Live in Postgres, so the monitor's guarded update reaches the row.
    const row = await createTestAccount({ monitoring_state: "live" });
    const state = initialState(
      row.rules,
      { equity: 99_000, balance: 100_000, at: Date.now(), source: "event" },
      "live",
    );
    // A change no database will take: a status the accounts table refuses (check violation).
    const bad = { ...figuresChange(row.id, row.rules, state, "event"), status: "frozen" };
    const monitor = monitorFor(env, row.id);
    await runInDurableObject(monitor, (_instance, ctx: DurableObjectState) => {
      ctx.storage.sql.exec(
        "INSERT INTO outbox (account_id, change, created_at) VALUES (?, ?, ?)",
        row.id,
        JSON.stringify(bad),
        Date.now(),
      );
    });
    await monitor.flushNow();
    const listed = await api("GET", "/v1/monitor/dead-letters");
    expect(listed.status).toBe(200);
    const letter = listed.body.items.find((d: { account_id: number }) => d.account_id === row.id);
    expect(letter).toMatchObject({ account_id: row.id, status: "frozen" });
    expect(letter.error).toMatch(/^23514/);
    expect((await api("GET", "/v1/monitor")).body.reasons).toContain("dead_letters");

    expect(letter.shard).toBe(0);
    const again = await api("POST", `/v1/monitor/dead-letters/${letter.id}/retry`);
    expect(again.body).toEqual({ id: letter.id, shard: 0, landed: false });
    // Ids are per shard: another shard does not hold it; a shard that is no number is a 400.
    const elsewhere = await api("POST", `/v1/monitor/dead-letters/${letter.id}/retry?shard=1`);
    expect(elsewhere.status).toBe(404);
    const noShard = await api("POST", `/v1/monitor/dead-letters/${letter.id}/retry?shard=x`);
    expect(noShard.status).toBe(400);
    expect(JSON.stringify(noShard.body)).toContain("shard");

    // An operator repairs the entry; the retry lands it and it leaves the list.
    await runInDurableObject(monitor, (_instance, ctx: DurableObjectState) => {
      ctx.storage.sql.exec(
        "UPDATE dead_letters SET change = ? WHERE id = ?",
        JSON.stringify({ ...bad, status: undefined }),
        letter.id,
      );
    });
    const landed = await api("POST", `/v1/monitor/dead-letters/${letter.id}/retry`);
    expect(landed).toMatchObject({ status: 200, body: { id: letter.id, landed: true } });
    const after = await api("GET", "/v1/monitor/dead-letters");
    expect(after.body.items.some((d: { id: number }) => d.id === letter.id)).toBe(false);
    expect((await getAccount(row.id)).metrics?.equity).toBe(99_000);
  });

  it("answers 404 for a dead letter that does not exist", async () => {
    const res = await api("POST", "/v1/monitor/dead-letters/999999/retry");
    expect(res.status).toBe(404);
  });
});
