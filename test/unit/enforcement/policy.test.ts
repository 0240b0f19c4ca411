import { describe, expect, it } from "vitest";
import {
  ConsequencesSchema,
  consequenceOf,
  decideAction,
  effectiveMode,
  lockEnds,
} from "../../../src/domain/enforcement/policy.ts";

describe("enforcement policy", () => {
  it("the lower of the deployment and the account applies; unknown values are off", () => {
    expect(effectiveMode({ deployment: "on", account: "on", halted: false })).toBe("on");
    expect(effectiveMode({ deployment: "on", account: "dry_run", halted: false })).toBe("dry_run");
    expect(effectiveMode({ deployment: "dry_run", account: "on", halted: false })).toBe("dry_run");
    expect(effectiveMode({ deployment: undefined, account: "on", halted: false })).toBe("off");
    expect(effectiveMode({ deployment: "on", account: null, halted: false })).toBe("off");
    expect(effectiveMode({ deployment: "ON", account: "on", halted: false })).toBe("off");
  });

  it("a halt holds the deployment at dry_run", () => {
    expect(effectiveMode({ deployment: "on", account: "on", halted: true })).toBe("dry_run");
    expect(effectiveMode({ deployment: "off", account: "on", halted: true })).toBe("off");
  });

  it("a rule's own consequence wins over the default, and record is the default", () => {
    const c = { default: "close_all_and_lock", max_loss: "close_all" } as const;
    expect(consequenceOf(c, "max_loss")).toBe("close_all");
    expect(consequenceOf(c, "daily_loss")).toBe("close_all_and_lock");
    expect(consequenceOf(undefined, "daily_loss")).toBe("record");
    expect(consequenceOf({ max_loss: "close_all" }, "daily_loss")).toBe("record");
  });

  it("decides nothing for record or off, a dry run in dry_run, a lock for close_all_and_lock", () => {
    const on = { deployment: "on", account: "on", halted: false };
    expect(decideAction({ default: "record" }, "max_loss", on)).toEqual({
      act: false,
      why: "record",
    });
    expect(decideAction({ default: "close_all" }, "max_loss", { ...on, account: "off" })).toEqual({
      act: false,
      why: "off",
    });
    expect(decideAction({ max_loss: "close_all_and_lock" }, "max_loss", on)).toEqual({
      act: true,
      dryRun: false,
      lock: true,
      consequence: "close_all_and_lock",
    });
    expect(
      decideAction({ max_loss: "close_all" }, "max_loss", { ...on, halted: true }),
    ).toMatchObject({
      act: true,
      dryRun: true,
      lock: false,
    });
  });

  it("refuses a misspelt consequence, naming the known ones", () => {
    const r = ConsequencesSchema.safeParse({ max_loss: "close_everything" });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/close_all_and_lock/);
    expect(ConsequencesSchema.safeParse({ default: "close_all" }).success).toBe(true);
  });

  it("a daily_loss lock ends at the next trading day; others only by a reset", () => {
    expect(lockEnds("daily_loss", 123)).toBe(123);
    expect(lockEnds("max_loss", 123)).toBeNull();
  });
});
