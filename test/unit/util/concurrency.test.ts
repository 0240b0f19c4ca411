import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../../../src/util/concurrency.ts";

/** Resolves after a few microtask or macrotask turns, so calls overlap in varied orders. */
function pause(turns: number): Promise<void> {
  if (turns === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, turns % 3));
}

async function measured<T>(
  items: readonly T[],
  limit: number,
  delay: (item: T, index: number) => number,
) {
  let inFlight = 0;
  let maxInFlight = 0;
  const calls: number[] = [];
  const results = await mapWithConcurrency(items, limit, async (item, index) => {
    calls.push(index);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await pause(delay(item, index));
    inFlight--;
    return { item, index };
  });
  return { results, maxInFlight, calls };
}

describe("mapWithConcurrency", () => {
  it("keeps the input order even when later items finish first", async () => {
    const items = [50, 5, 30, 0, 10];
    const results = await mapWithConcurrency(items, 3, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms * 2;
    });
    expect(results).toEqual([100, 10, 60, 0, 20]);
  });

  it("never has more calls in flight than the limit, and uses the limit", async () => {
    const { maxInFlight, calls } = await measured(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      (i) => (i % 5) + 1,
    );
    expect(maxInFlight).toBe(4);
    expect([...calls].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("calls once per item when the limit exceeds the number of items", async () => {
    const { results, maxInFlight, calls } = await measured(["a", "b"], 10, () => 1);
    expect(results).toEqual([
      { item: "a", index: 0 },
      { item: "b", index: 1 },
    ]);
    expect(maxInFlight).toBe(2);
    expect(calls).toHaveLength(2);
  });

  it("returns an empty array for no items without calling", async () => {
    let called = false;
    expect(
      await mapWithConcurrency([], 3, async () => {
        called = true;
      }),
    ).toEqual([]);
    expect(called).toBe(false);
  });

  it("passes the rejection of a call on to the caller", async () => {
    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error("two");
        return n;
      }),
    ).rejects.toThrow("two");
  });

  it("keeps order, calls each item once and respects the limit for any sizes and timings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 4 }), { maxLength: 25 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, limit) => {
          const { results, maxInFlight, calls } = await measured(delays, limit, (d) => d);
          expect(results.map((r) => r.index)).toEqual(delays.map((_, i) => i));
          expect(calls).toHaveLength(delays.length);
          expect(new Set(calls).size).toBe(delays.length);
          expect(maxInFlight).toBeLessThanOrEqual(limit);
          expect(maxInFlight).toBe(Math.min(limit, delays.length));
        },
      ),
      { numRuns: 60 },
    );
  });
});
