import { describe, expect, it } from "vitest";
import { rates, shardsOf } from "../../../console/src/monitor-rates.ts";
import { parseRoute } from "../../../console/src/router.ts";

describe("console monitor rates", () => {
  it("turns successive received counters into events per second", () => {
    const r = rates([
      { t: 0, n: 100 },
      { t: 2000, n: 300 },
      { t: 4000, n: 300 },
    ]);
    expect(r.xs).toEqual([2, 4]);
    expect(r.ys).toEqual([100, 0]);
  });

  it("skips a sample where the counter went down (the monitor restarted)", () => {
    const r = rates([
      { t: 0, n: 500 },
      { t: 2000, n: 10 },
      { t: 4000, n: 30 },
    ]);
    expect(r.ys).toEqual([10]);
  });

  it("shows a version 1 monitor as shard 0", () => {
    const shards = shardsOf({
      connection: {
        state: "open",
        url: "wss://events.example/ws",
        connected_since: null,
        last_message_at: null,
        reconnects: 0,
      },
      subscriptions: 3,
      events: { received: 9, applied: 8, invalid: 0, stale: 0, unroutable: 0, unsubscribed: 0 },
      pending_writes: 1,
    });
    expect(shards).toEqual([
      expect.objectContaining({ shard: 0, subscriptions: 3, pending_writes: 1 }),
    ]);
  });
});

describe("console routes", () => {
  it("reads the view and the account id from the hash, home for anything else", () => {
    expect(parseRoute("#/account/42")).toEqual({ view: "account", id: 42 });
    expect(parseRoute("#/violations")).toEqual({ view: "violations" });
    expect(parseRoute("#/account/0")).toEqual({ view: "at-risk" });
    expect(parseRoute("")).toEqual({ view: "at-risk" });
  });
});
