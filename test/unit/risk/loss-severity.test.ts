/**
 * Severity of the loss rules (docs/rules.md, "Severity of the loss rules"): `hard` (the
 * default) fails the account as before; `soft` records the violation, severity soft, once per
 * period, and leaves the account active and live; it starts no enforcement and marks nothing
 * breached.
 */
import { describe, expect, it } from "vitest";
import { applyEvent } from "../../../src/live/core/event-path.ts";
import type { FrameItem } from "../../../src/live/core/parse-frame.ts";
import { resolveRules } from "../../../src/risk/index.ts";
import { failsAccount, toChange } from "../../../src/domain/outcome.ts";
import { breachedAccountIds, lossSeverity, violationRows } from "../../../src/domain/write-rows.ts";
import { compileRules } from "../../../src/risk/compiled.ts";
import { liveSub, rules, T0, tableOf } from "../fixtures.ts";

type EventItem = Extract<FrameItem, { kind: "event" }>;
const event = (equity: number, ts: number): EventItem => ({
  kind: "event",
  keys: { sessionId: "s1" },
  equity,
  ts,
});

const softDaily = () =>
  rules({ preset: "ftmo-2step", initial_balance: 100_000, daily_loss: { severity: "soft" } });

describe("severity of the loss rules", () => {
  it("accepts hard and soft on daily_loss and max_loss, and nothing else", () => {
    const ok = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 100_000,
      daily_loss: { severity: "soft" },
      max_loss: { severity: "hard" },
    });
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.rules.daily_loss.severity).toBe("soft");
      expect(ok.rules.max_loss.severity).toBe("hard");
    }
    const bad = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 100_000,
      max_loss: { severity: "medium" },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(JSON.stringify(bad.issues)).toContain("max_loss.severity");
    // Left out: hard, as before.
    const plain = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    expect(lossSeverity(plain, "daily_loss")).toBe("hard");
    expect(lossSeverity(plain, "max_loss")).toBe("hard");
    expect(lossSeverity(softDaily(), "daily_loss")).toBe("soft");
    expect(lossSeverity(softDaily(), "max_loss")).toBe("hard");
  });

  it("a soft breach on the live path is recorded once, and the account stays live and active", () => {
    const table = tableOf(liveSub(1, softDaily()));
    const r = applyEvent(table, event(94_900, T0 + 1), T0 + 1);
    expect(r.action).toBe("record");
    expect(r.outcome?.breached).toBe(false);
    expect(r.outcome?.violations.map((v) => v.rule)).toEqual(["daily_loss"]);
    expect(r.outcome?.state.monitoring).toBe("live");
    const change = toChange(softDaily(), r.outcome!);
    expect(change.status).toBeUndefined();
    expect(change.rules?.daily_loss.severity).toBe("soft");
    const rows = violationRows([{ change }] as never, new Map());
    expect(rows.map((v) => [v.rule, v.severity])).toEqual([["daily_loss", "soft"]]);
    expect(breachedAccountIds(rows)).toEqual([]);
    // Lower still, the same day: nothing new to record.
    const again = applyEvent(table, event(94_500, T0 + 2), T0 + 2);
    expect(again.outcome?.violations ?? []).toEqual([]);
    expect(again.action).not.toBe("release");
  });

  it("a hard breach (the default) still fails the account, beside a soft one", () => {
    const table = tableOf(liveSub(1));
    const r = applyEvent(table, event(94_900, T0 + 1), T0 + 1);
    expect(r.action).toBe("release");
    expect(r.outcome?.breached).toBe(true);
    const change = toChange(rules({ preset: "ftmo-2step", initial_balance: 100_000 }), r.outcome!);
    expect(change.status).toBe("breached");
    const rows = violationRows([{ change }] as never, new Map());
    expect(rows.map((v) => v.severity)).toEqual(["hard"]);
    expect(breachedAccountIds(rows)).toEqual([1]);
    const c = compileRules(softDaily());
    expect(failsAccount(c, [{ rule: "daily_loss" }])).toBe(false);
    expect(failsAccount(c, [{ rule: "daily_loss" }, { rule: "max_loss" }])).toBe(true);
  });
});
