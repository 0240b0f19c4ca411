import { describe, expect, it } from "vitest";
import { nextState } from "../../../src/alerts/attempt.ts";
import { afterFailure, shouldDisable } from "../../../src/alerts/schedule.ts";

const H = 3600_000;

describe("the retry schedule", () => {
  it("waits 5 s, 30 s, 2 min, 10 min, 1 h, then 3 h between attempts", () => {
    const delays: number[] = [];
    let now = 0;
    for (let attempt = 1; ; attempt++) {
      const next = afterFailure(attempt, 0, now);
      if (!next.retry) break;
      delays.push(next.delayS);
      now = next.at;
    }
    expect(delays).toEqual([
      5, 30, 120, 600, 3600, 10800, 10800, 10800, 10800, 10800, 10800, 10800,
    ]);
    // The last attempt falls within 24 h of the first; the next would not.
    expect(now).toBeLessThanOrEqual(24 * H);
    expect(now + 3 * H).toBeGreaterThan(24 * H);
  });

  it("gives up when the next attempt would pass 24 hours after the first", () => {
    expect(afterFailure(6, 0, 22 * H)).toEqual({ retry: false });
    expect(afterFailure(6, 0, 21 * H)).toEqual({ retry: true, delayS: 10800, at: 24 * H });
  });

  it("turns an attempt into the delivery's next state", () => {
    expect(nextState(true, 7, 0, 10 * H)).toEqual({ status: "delivered" });
    expect(nextState(false, 1, 0, 0)).toEqual({ status: "pending", at: 5000, delayS: 5 });
    expect(nextState(false, 13, 0, 23 * H)).toEqual({ status: "failed" });
  });

  it("disables an endpoint after 3 days of failing, not before", () => {
    const day = 24 * H;
    expect(shouldDisable(null, 10 * day)).toBe(false);
    expect(shouldDisable(0, 3 * day - 1)).toBe(false);
    expect(shouldDisable(0, 3 * day)).toBe(true);
  });
});
