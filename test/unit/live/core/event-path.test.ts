import { describe, expect, it } from "vitest";
import { applyEvent } from "../../../../src/live/core/event-path.ts";
import { newSubscription } from "../../../../src/live/core/subscriptions.ts";
import { logWorthy } from "../../../../src/live/core/status.ts";
import type { FrameItem } from "../../../../src/live/core/parse-frame.ts";
import { ftmoRules, liveSub, T0, tableOf } from "../../fixtures.ts";

type EventItem = Extract<FrameItem, { kind: "event" }>;

const event = (sessionId: string, equity: number, ts?: number): EventItem => ({
  kind: "event",
  keys: { sessionId },
  equity,
  ...(ts === undefined ? {} : { ts }),
});

describe("the event path", () => {
  it("counts acknowledgements, service errors, invalid items and equity-less events without touching a subscription", () => {
    const table = tableOf(liveSub(1));
    expect(applyEvent(table, { kind: "ack", type: "subscribed" }, T0)).toEqual({
      counts: ["acks"],
      action: "none",
    });
    expect(applyEvent(table, { kind: "service_error", message: "x" }, T0).counts).toEqual([
      "service_errors",
    ]);
    expect(applyEvent(table, { kind: "invalid", reason: "x" }, T0).counts).toEqual([
      "received",
      "invalid",
    ]);
    const noEquity: FrameItem = { kind: "no_equity", keys: { sessionId: "s1" }, type: "Order" };
    expect(applyEvent(table, noEquity, T0).counts).toEqual(["received", "no_equity"]);
    expect(table.get(1)!.lastEventAt).toBe(0);
  });

  it("counts an event with no key as unroutable and one for nobody as unsubscribed, applying neither", () => {
    const table = tableOf(liveSub(1));
    const before = table.get(1)!.risk;
    const unroutable = applyEvent(table, { kind: "event", keys: {}, equity: 1 }, T0);
    expect(unroutable).toEqual({ counts: ["received", "unroutable"], action: "none" });
    expect(applyEvent(table, event("nobody", 1), T0).counts).toEqual(["received", "unsubscribed"]);
    expect(table.get(1)!.risk).toBe(before);
  });

  it("moves nothing for unsynced figures (docs/mtapi-bridge.md), and applies the figures the guard lets through", () => {
    const table = tableOf(liveSub(1), liveSub(2));
    const held = structuredClone(table.get(1)!.risk);
    // `synced: false`, whatever the figures.
    const notSynced = applyEvent(
      table,
      { ...event("s1", 90_000, T0 + 1_000), synced: false },
      T0 + 1_000,
    );
    expect(notSynced).toMatchObject({ counts: ["received", "unsynced"], problem: "unsynced" });
    // Balance and equity both 0 (or equity 0 with no balance) where the last balance was not 0.
    for (const zeros of [
      { ...event("s1", 0, T0 + 1_100), balance: 0 },
      event("s1", 0, T0 + 1_200),
    ]) {
      expect(applyEvent(table, zeros, T0 + 1_300).counts).toEqual(["received", "unsynced"]);
    }
    expect(table.get(1)!.risk).toEqual(held);
    // An equity of 0 beside a balance is a reading (a real, breaching one), as is `synced: true`.
    const zeroEquity = applyEvent(
      table,
      { ...event("s1", 0, T0 + 1_400), balance: 100_000 },
      T0 + 1_400,
    );
    expect(zeroEquity.counts).toEqual(["received", "applied"]);
    const synced = applyEvent(
      table,
      { ...event("s2", 95_100, T0 + 1_500), synced: true },
      T0 + 1_500,
    );
    expect(synced.counts).toEqual(["received", "applied"]);
  });

  it("applies a routed event, moves the subscription's state in place and its clocks, and measures its lag", () => {
    const table = tableOf(liveSub(1));
    const held = table.get(1)!.risk;
    const r = applyEvent(table, event("s1", 95_200, T0 + 1_000), T0 + 1_250);
    expect(r.counts).toEqual(["received", "applied"]);
    expect(r.action).toBe("batch");
    // Figures only: no rows to build, the subscription's state is the one object it held.
    expect(r.outcome).toBeUndefined();
    expect(r.lagMs).toBe(250);
    const sub = table.get(1)!;
    expect(sub.risk).toBe(held);
    expect(sub.risk?.equity).toBe(95_200);
    expect(sub.risk?.last_at).toBe(T0 + 1_000);
    expect(sub.lastEventAt).toBe(T0 + 1_250);
    expect(sub.lastEventTs).toBe(T0 + 1_000);
  });

  it("drops an event older than the newest applied to its account as stale, without counting it as hearing the account", () => {
    const table = tableOf(liveSub(1));
    applyEvent(table, event("s1", 95_200, T0 + 2_000), T0 + 2_000);
    const r = applyEvent(table, event("s1", 94_000, T0 + 1_000), T0 + 3_000);
    expect(r.counts).toEqual(["received", "stale"]);
    expect(r.action).toBe("none");
    expect(table.get(1)!.risk?.equity).toBe(95_200);
    expect(table.get(1)!.lastEventAt).toBe(T0 + 2_000);
  });

  it("applies an event stamped before the last reading (clock skew) at the last reading's time", () => {
    const sub = liveSub(1);
    const table = tableOf(sub);
    const lastAt = sub.risk!.last_at;
    const r = applyEvent(table, event("s1", 95_250, lastAt - 60_000), lastAt + 5);
    expect(r.counts).toEqual(["received", "applied"]);
    expect(table.get(1)!.risk!.last_at).toBe(lastAt);
    expect(table.get(1)!.risk!.equity).toBe(95_250);
  });

  it("applies an untimed event at the receive time", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", 95_250), T0 + 9_000);
    expect(table.get(1)!.risk!.last_at).toBe(T0 + 9_000);
    expect(r.lagMs).toBeUndefined();
  });

  it("leaves bare figure changes to the batch and persists a new high-water mark at once", () => {
    const table = tableOf(liveSub(1));
    expect(applyEvent(table, event("s1", 95_250, T0 + 1), T0 + 1).action).toBe("batch");
    expect(applyEvent(table, event("s1", 100_500, T0 + 2), T0 + 2).action).toBe("release");
    const other = tableOf(liveSub(2, ftmoRules(), 95_300));
    other.get(2)!.risk = { ...other.get(2)!.risk!, hwm: 90_000 };
    expect(applyEvent(other, event("s2", 95_290, T0 + 3), T0 + 3).action).toBe("save_risk");
  });

  it("releases an account on a breach, with the violation in the outcome", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", 94_900, T0 + 1), T0 + 1);
    expect(r.action).toBe("release");
    expect(r.outcome?.breached).toBe(true);
    expect(r.outcome?.violations.map((v) => v.rule)).toEqual(["daily_loss"]);
    // The rows see the state the reading left, handed back to polling.
    expect(r.outcome?.state).toBe(table.get(1)!.risk);
    expect(r.outcome?.state.monitoring).toBe("polling");
    expect(r.outcome?.reading).toEqual({
      equity: 94_900,
      balance: undefined,
      at: T0 + 1,
      source: "event",
    });
  });

  it("persists the first reading of an account that had no state", () => {
    const sub = liveSub(1);
    const table = tableOf({ ...sub, risk: null });
    const first: EventItem = { ...event("s1", 95_300, T0 + 1), balance: 100_000 };
    const r = applyEvent(table, first, T0 + 1);
    expect(r.action).toBe("save_risk");
    expect(table.get(1)!.risk).toMatchObject({ equity: 95_300, balance: 100_000, last_at: T0 + 1 });
  });

  it("has a transition to record once when a reading that keeps the account live reaches a warning level", () => {
    const warned = liveSub(1, { ...ftmoRules(), warn_at_pct: [50] });
    // 95,250: inside the live band, past the 50% warning level.
    const r = applyEvent(tableOf(warned), event("s1", 95_250, T0 + 1), T0 + 1);
    expect(r.action).toBe("record");
    expect(r.outcome?.breached).toBe(false);
    expect(r.outcome?.warnings.length).toBeGreaterThan(0);
    const quiet = applyEvent(tableOf(liveSub(2)), event("s2", 95_250, T0 + 1), T0 + 1);
    expect(quiet.action).toBe("batch");
    expect(quiet.outcome).toBeUndefined();
  });

  it("counts a reading the engine refuses as invalid", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", Number.NaN, T0 + 1), T0 + 1);
    expect(r.counts).toEqual(["received", "invalid"]);
    expect(r.action).toBe("none");
  });
});

describe("the state a subscription holds", () => {
  it("is its own copy: events never move the state it was given", () => {
    const sub = liveSub(1);
    const given = { ...sub.risk! };
    const snapshot = JSON.stringify(given);
    const held = newSubscription({ ...inputOf(sub), risk_state: given }, sub.rules, T0);
    expect(held.risk).not.toBe(given);
    applyEvent(tableOf(held), event("s1", 94_000, T0 + 1), T0 + 1);
    expect(JSON.stringify(given)).toBe(snapshot);
    expect(held.risk!.equity).toBe(94_000);
  });

  it("is left as it was when a reading is refused (rules that cannot be evaluated at a roll)", () => {
    const sub = liveSub(1);
    const table = tableOf(sub);
    const before = JSON.stringify(sub.risk);
    sub.rules = {
      ...sub.rules,
      daily_reset: { ...sub.rules.daily_reset, timezone: "Mars/Olympus" },
    };
    const r = applyEvent(table, event("s1", 95_200, T0 + 86_400_000), T0 + 86_400_000);
    expect(r.problem).toBe("invalid_rules");
    expect(JSON.stringify(sub.risk)).toBe(before);
  });
});

function inputOf(sub: ReturnType<typeof liveSub>) {
  return {
    account_id: sub.accountId,
    login: sub.login,
    server: sub.server,
    session_id: sub.sessionId,
    rules: sub.rules,
    risk_state: sub.risk,
  };
}

describe("the event path under bad stamps and broken rules", () => {
  it("refuses an event stamped more than 5 minutes ahead as invalid, keeps a sample, and leaves the trading day", () => {
    const table = tableOf(liveSub(1));
    const before = table.get(1)!.risk;
    const r = applyEvent(table, event("s1", 95_200, T0 + 86_400_000), T0);
    expect(r).toMatchObject({ counts: ["received", "invalid"], action: "none", sample: true });
    expect(table.get(1)!.risk).toBe(before);
    // A later, honest event still applies: the bad stamp did not make it stale.
    expect(applyEvent(table, event("s1", 95_200, T0 + 1_000), T0 + 1_000).counts).toEqual([
      "received",
      "applied",
    ]);
  });

  it("refuses an event stamped more than 24 hours behind as invalid", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", 95_200, T0 - 25 * 3_600_000), T0);
    expect(r.counts).toEqual(["received", "invalid"]);
  });

  it("does not count an unusable event as hearing the account, so the REST watchdog still looks", () => {
    const table = tableOf(liveSub(1));
    applyEvent(table, event("s1", 95_200, T0 + 86_400_000), T0);
    applyEvent(table, event("s1", Number.NaN, T0), T0);
    expect(table.get(1)!.lastEventAt).toBe(0);
  });

  it("counts an event whose account's rules cannot be evaluated as invalid and names the problem", () => {
    const sub = liveSub(1);
    const broken = {
      ...sub.rules,
      daily_reset: { ...sub.rules.daily_reset, timezone: "Mars/Olympus" },
    };
    const table = tableOf({ ...sub, rules: broken, risk: null });
    const r = applyEvent(table, event("s1", 95_200, T0), T0);
    expect(r).toMatchObject({ counts: ["received", "invalid"], problem: "invalid_rules" });
  });
});

describe("an account leaving live monitoring", () => {
  it("is still watched: a breach while leaving is committed, anything else is not", () => {
    const sub = { ...liveSub(1), leaving: true };
    const table = tableOf(sub);
    expect(applyEvent(table, event("s1", 99_000, T0 + 1), T0 + 1)).toMatchObject({
      counts: ["received", "applied"],
      action: "none",
    });
    expect(table.get(1)!.lastEventAt).toBe(T0 + 1);
    expect(applyEvent(table, event("s1", 94_000, T0 + 2), T0 + 2).action).toBe("release");
  });
});

describe("repeated log lines", () => {
  it("are logged the first ten times, then once per thousand", () => {
    const logged = Array.from({ length: 3000 }, (_, i) => i + 1).filter(logWorthy);
    expect(logged).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000, 2000, 3000]);
  });
});
