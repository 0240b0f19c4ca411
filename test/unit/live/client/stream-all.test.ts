import { describe, expect, it } from "vitest";
import { applyReading } from "../../../../src/domain/outcome.ts";
import { rulesFor, streamingRules, streamsAll } from "../../../../src/live/client/stream-all.ts";
import { ftmoRules } from "../../fixtures.ts";

const rules = ftmoRules();
const at = Date.parse("2026-11-25T10:00:00Z");

describe("STREAM_ALL", () => {
  it("reads 1 and true as on, anything else as off", () => {
    expect(streamsAll({ STREAM_ALL: "1" })).toBe(true);
    expect(streamsAll({ STREAM_ALL: "true" })).toBe(true);
    expect(streamsAll({ STREAM_ALL: "0" })).toBe(false);
    expect(streamsAll({ STREAM_ALL: "" })).toBe(false);
    expect(rulesFor({ STREAM_ALL: "0" }, rules)).toBe(rules);
  });

  it("keeps the floors and sets the hysteresis band to 0/0", () => {
    const s = streamingRules(rules);
    expect({
      ...s,
      live_enter_pct: rules.live_enter_pct,
      live_exit_pct: rules.live_exit_pct,
    }).toEqual(rules);
    expect([s.live_enter_pct, s.live_exit_pct]).toEqual([0, 0]);
  });

  it("an account in profit enters live on its first poll under STREAM_ALL, and not without it", () => {
    const reading = { balance: 100_000, equity: 104_000, at, source: "poll" as const };
    const plain = applyReading(1, rules, null, "polling", reading);
    const streamed = applyReading(1, streamingRules(rules), null, "polling", reading);
    expect(plain.applied && plain.enterLive).toBe(false);
    expect(streamed.applied && streamed.enterLive).toBe(true);
  });

  it("a live account far below the exit threshold stays live under STREAM_ALL, but still leaves on a breach", () => {
    const first = applyReading(1, streamingRules(rules), null, "live", {
      balance: 100_000,
      equity: 100_000,
      at,
      source: "event",
    });
    if (!first.applied) throw new Error("not applied");
    const calm = applyReading(1, streamingRules(rules), first.state, "live", {
      balance: 100_000,
      equity: 110_000,
      at: at + 1000,
      source: "event",
    });
    expect(calm.applied && calm.exitLive).toBe(false);
    const plainCalm = applyReading(1, rules, first.state, "live", {
      balance: 100_000,
      equity: 110_000,
      at: at + 1000,
      source: "event",
    });
    expect(plainCalm.applied && plainCalm.exitLive).toBe(true);
    const breach = applyReading(1, streamingRules(rules), first.state, "live", {
      balance: 100_000,
      equity: 94_000,
      at: at + 2000,
      source: "event",
    });
    expect(breach.applied && breach.breached && breach.exitLive).toBe(true);
  });
});
