import { describe, expect, it } from "vitest";
import {
  applyEvent,
  commitAction,
  recordsTransition,
} from "../../../../src/live/core/event-path.ts";
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

  it("applies a routed event, moves the subscription's state and clocks, and measures its lag", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", 95_200, T0 + 1_000), T0 + 1_250);
    expect(r.counts).toEqual(["received", "applied"]);
    expect(r.outcome?.state.equity).toBe(95_200);
    expect(r.lagMs).toBe(250);
    const sub = table.get(1)!;
    expect(sub.risk?.equity).toBe(95_200);
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
    expect(r.outcome?.reading.at).toBe(lastAt);
  });

  it("applies an untimed event at the receive time", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", 95_250), T0 + 9_000);
    expect(r.outcome?.reading.at).toBe(T0 + 9_000);
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
  });

  it("persists the first reading of an account that had no state", () => {
    const sub = liveSub(1);
    const table = tableOf({ ...sub, risk: null });
    const first: EventItem = { ...event("s1", 95_300, T0 + 1), balance: 100_000 };
    const r = applyEvent(table, first, T0 + 1);
    expect(r.action).toBe("save_risk");
    expect(commitAction(null, r.outcome!)).toBe("save_risk");
  });

  it("has a transition to record once when a reading that keeps the account live reaches a warning level", () => {
    const warned = liveSub(1, { ...ftmoRules(), warn_at_pct: [50] });
    const r = applyEvent(tableOf(warned), event("s1", 96_000, T0 + 1), T0 + 1);
    expect(r.outcome?.breached).toBe(false);
    expect(r.outcome?.warnings.length).toBeGreaterThan(0);
    expect(recordsTransition(r.outcome!)).toBe(true);
    const quiet = applyEvent(tableOf(liveSub(2)), event("s2", 96_000, T0 + 1), T0 + 1);
    expect(recordsTransition(quiet.outcome!)).toBe(false);
  });

  it("counts a reading the engine refuses as invalid", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event("s1", Number.NaN, T0 + 1), T0 + 1);
    expect(r.counts).toEqual(["received", "invalid"]);
    expect(r.action).toBe("none");
  });
});

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
