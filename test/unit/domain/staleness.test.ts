import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  LIVE_STALE_S,
  POLLING_STALE_S,
  isNewlyStale,
  staleWindowMs,
} from "../../../src/domain/staleness.ts";
import { ACCOUNT_PROBLEMS } from "../../../src/domain/vocabulary.ts";

const T = Date.UTC(2026, 11, 6, 12, 0, 0);

describe("the stale judgement", () => {
  it("marks a live account past 90 s and a polled one past 110 s, not at the window itself", () => {
    expect(LIVE_STALE_S).toBe(90);
    expect(POLLING_STALE_S).toBe(110);
    const live = { monitoringState: "live" as const, lastReadAt: T, problem: null };
    const polled = { monitoringState: "polling" as const, lastReadAt: T, problem: null };
    expect(isNewlyStale(live, T + 90_000)).toBe(false);
    expect(isNewlyStale(live, T + 90_001)).toBe(true);
    expect(isNewlyStale(polled, T + 100_000)).toBe(false);
    expect(isNewlyStale(polled, T + 110_000)).toBe(false);
    expect(isNewlyStale(polled, T + 110_001)).toBe(true);
  });

  it("leaves an account that already has a problem, stale included, as it is (alerted once)", () => {
    for (const problem of ACCOUNT_PROBLEMS)
      expect(
        isNewlyStale({ monitoringState: "live", lastReadAt: T, problem }, T + 3_600_000),
        problem,
      ).toBe(false);
  });

  it("never marks an account read within its window, whatever the clock", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("live" as const, "polling" as const),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((n) => n * 4096),
        fc.integer({ min: -1e9, max: 1e9 }),
        (state, read, age) => {
          const stale = isNewlyStale(
            { monitoringState: state, lastReadAt: read, problem: null },
            read + age,
          );
          expect(stale).toBe(age > staleWindowMs(state));
        },
      ),
    );
  });
});
