import { describe, expect, it } from "vitest";
import { healthOf, liveCoverage, mergeCoverage } from "../../../../src/live/core/health.ts";
import { liveSub, T0 } from "../../fixtures.ts";

describe("the monitor's health", () => {
  it("is ok with nothing wrong, and degraded with every reason that holds", () => {
    const fine = { linkDownS: 0, oldestPendingS: 0, deadLetters: 0, accountsStale: 0 };
    expect(healthOf(fine)).toEqual({ health: "ok", reasons: [] });
    expect(
      healthOf({ linkDownS: 60, oldestPendingS: 61, deadLetters: 1, accountsStale: 2 }),
    ).toEqual({
      health: "degraded",
      reasons: ["link_down", "writes_stalled", "dead_letters", "accounts_stale"],
    });
    expect(healthOf({ ...fine, linkDownS: 59, oldestPendingS: 60 }).health).toBe("ok");
  });

  it("measures how long live accounts have gone unwatched and counts those past 90 s", () => {
    const heard = { ...liveSub(1), lastEventAt: T0 + 100_000 };
    const quiet = { ...liveSub(2), lastRestAt: T0, subscribedAt: T0 };
    const coverage = liveCoverage([heard, quiet], T0 + 120_000);
    expect(coverage).toEqual({ max_unwatched_s: 120, accounts_stale: 1 });
    expect(mergeCoverage(coverage, { max_unwatched_s: 200, accounts_stale: 3 })).toEqual({
      max_unwatched_s: 200,
      accounts_stale: 4,
    });
  });
});
