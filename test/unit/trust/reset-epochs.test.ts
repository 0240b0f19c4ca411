/** "Trust" finding 6, pure: which reset epoch a violation belongs to (docs/security.md). */
import { describe, expect, it } from "vitest";
import { currentEpochRows, withEpochs, type ViolationRow } from "../../../src/domain/write-rows.ts";

const RESET = new Date("2026-12-06T10:00:00Z");

function row(at: string): ViolationRow {
  return {
    accountId: 7,
    rule: "daily_loss",
    period: "2026-12-06",
    equity: 94_000,
    floor: 95_000,
    usage: 120,
    source: "poll",
    detectedAt: new Date(at),
    rulesVersion: 1,
    evidence: null,
  };
}

describe("reset epochs of violations", () => {
  const epochs = new Map([[7, { epoch: 2, resetAt: RESET }]]);

  it("puts a breach after the reset in the current epoch, and lets it breach the account", () => {
    const [v] = withEpochs([row("2026-12-06T10:05:00Z")], epochs);
    expect(v!.resetEpoch).toBe(2);
    expect(currentEpochRows([v!], epochs)).toHaveLength(1);
  });

  it("keeps a breach read before the reset (written after) in the old epoch, breaching nothing", () => {
    const [v] = withEpochs([row("2026-12-06T09:59:59Z")], epochs);
    expect(v!.resetEpoch).toBe(1);
    expect(currentEpochRows([v!], epochs)).toEqual([]);
  });

  it("uses epoch 0 for an account never reset", () => {
    const never = new Map([[7, { epoch: 0, resetAt: null }]]);
    expect(withEpochs([row("2026-12-06T09:00:00Z")], never)[0]!.resetEpoch).toBe(0);
  });
});
