import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  type BackoffPolicy,
} from "../../../../src/live/core/backoff.ts";

const policy: BackoffPolicy = { baseMs: 100, capMs: 5_000 };
const almostOne = () => 1 - Number.EPSILON;

describe("backoffDelay", () => {
  it("is zero when the random source answers zero", () => {
    for (let attempt = 0; attempt < 40; attempt++)
      expect(backoffDelay(attempt, policy, () => 0)).toBe(0);
  });

  it("doubles its ceiling with every attempt until the cap", () => {
    const delays = Array.from({ length: 10 }, (_, attempt) =>
      backoffDelay(attempt, policy, almostOne),
    );
    expect(delays).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999, 4999]);
  });

  it("never exceeds the cap even for huge attempt counts", () => {
    expect(backoffDelay(1_000_000, policy, almostOne)).toBe(4_999);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, DEFAULT_BACKOFF, almostOne)).toBeLessThanOrEqual(
      DEFAULT_BACKOFF.capMs,
    );
  });

  it("caps the first ceiling when the base is larger than the cap", () => {
    expect(backoffDelay(0, { baseMs: 10_000, capMs: 1_000 }, almostOne)).toBe(999);
  });

  it("draws uniformly inside the ceiling (full jitter)", () => {
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(200);
  });

  it("uses Math.random and the default policy when none is given", () => {
    const delay = backoffDelay(0);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(DEFAULT_BACKOFF.baseMs);
  });

  it("is an integer within [0, cap] for any attempt, policy and random value", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, capMs, r) => {
          const delay = backoffDelay(attempt, { baseMs, capMs }, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(capMs);
          expect(delay).toBeLessThanOrEqual(baseMs * 2 ** Math.min(attempt, 30));
        },
      ),
    );
  });

  it("never shrinks its ceiling as attempts grow", () => {
    fc.assert(
      fc.property(fc.nat({ max: 100 }), fc.nat({ max: 100 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(backoffDelay(lo, policy, almostOne)).toBeLessThanOrEqual(
          backoffDelay(hi, policy, almostOne),
        );
      }),
    );
  });
});

describe("backoffDelay with the first retry at once", () => {
  const atOnce: BackoffPolicy = { baseMs: 100, capMs: 5_000, firstAtOnce: true };

  it("waits for nothing before the first retry, whatever the random source", () => {
    expect(backoffDelay(0, atOnce, almostOne)).toBe(0);
    expect(backoffDelay(0, DEFAULT_BACKOFF, almostOne)).toBe(0);
  });

  it("starts the full jitter with the second retry, at the base ceiling, then doubles it", () => {
    const delays = Array.from({ length: 8 }, (_, attempt) =>
      backoffDelay(attempt, atOnce, almostOne),
    );
    expect(delays).toEqual([0, 99, 199, 399, 799, 1599, 3199, 4999]);
    expect(backoffDelay(1, atOnce, () => 0.5)).toBe(50);
  });

  it("is the live monitor's default", () => {
    expect(DEFAULT_BACKOFF.firstAtOnce).toBe(true);
    expect(backoffDelay(1, DEFAULT_BACKOFF, almostOne)).toBe(DEFAULT_BACKOFF.baseMs - 1);
  });
});
