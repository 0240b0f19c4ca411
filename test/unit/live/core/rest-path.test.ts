/** The REST path's decisions (src/live/core/rest-path.ts): one answer about a held account. */
import { describe, expect, it } from "vitest";
import { applyRestRead, type RestAnswer } from "../../../../src/live/core/rest-path.ts";
import { liveSub, T0, tableOf } from "../../fixtures.ts";

const read = (equity: number, balance = 100_000): RestAnswer => ({
  ok: true,
  summary: { equity, balance },
});

describe("the REST path", () => {
  it("does nothing with an answer about a subscription the table no longer holds", () => {
    const old = liveSub(1);
    const table = tableOf(liveSub(1));
    expect(applyRestRead(table, old, read(94_000), T0 + 1_000)).toEqual({ action: "none" });
    expect(old.risk!.last_at).toBe(T0);
  });

  it("marks the answer's problem and reads nothing when MTAPI did not answer", () => {
    const sub = liveSub(1);
    const r = applyRestRead(tableOf(sub), sub, { ok: false, problem: "auth" }, T0 + 1_000);
    expect(r).toEqual({ subscription: sub, problem: "auth", action: "none" });
    expect(sub.risk!.last_at).toBe(T0);
  });

  it("clears the problem, applies the reading at the monitor's clock, and leaves bare figures to the batch", () => {
    const sub = liveSub(1);
    const r = applyRestRead(tableOf(sub), sub, read(95_250), T0 + 1_000);
    expect(r).toMatchObject({ subscription: sub, problem: null, action: "batch" });
    expect(r.outcome!.reading).toMatchObject({ equity: 95_250, at: T0 + 1_000, source: "poll" });
    expect(sub.risk!.last_at).toBe(T0 + 1_000);
    expect(sub.risk!.equity).toBe(95_250);
  });

  it("applies an answer that came before the last reading at the last reading's time", () => {
    const sub = liveSub(1);
    const r = applyRestRead(tableOf(sub), sub, read(95_250), T0 - 5_000);
    expect(r.outcome!.reading.at).toBe(T0);
  });

  it("releases an account on a breach, with the violation in the outcome", () => {
    const sub = liveSub(1);
    const r = applyRestRead(tableOf(sub), sub, read(94_000), T0 + 1_000);
    expect(r.action).toBe("release");
    expect(r.outcome!.breached).toBe(true);
    expect(r.outcome!.violations.map((v) => v.rule)).toEqual(["daily_loss"]);
  });

  it("commits only a breach for an account already leaving", () => {
    const sub = { ...liveSub(1), leaving: true };
    const table = tableOf(sub);
    expect(applyRestRead(table, sub, read(95_250), T0 + 1_000)).toMatchObject({
      problem: null,
      action: "none",
    });
    expect(applyRestRead(table, sub, read(94_000), T0 + 2_000).action).toBe("release");
  });

  it("names invalid_rules, with the error, when the account's rules cannot be evaluated", () => {
    const sub = liveSub(1);
    const broken = {
      ...sub.rules,
      daily_reset: { ...sub.rules.daily_reset, timezone: "Mars/Olympus" },
    };
    const held = { ...sub, rules: broken, risk: null };
    const r = applyRestRead(tableOf(held), held, read(95_200), T0);
    expect(r).toMatchObject({ subscription: held, problem: "invalid_rules", action: "none" });
    expect(r.error).toBeInstanceOf(Error);
    expect(r.outcome).toBeUndefined();
  });
});
