import { describe, expect, it } from "vitest";
import { distanceToFloor } from "../../../src/http/present.ts";
import type { AccountMetrics } from "../../../src/domain/metrics.ts";

const metrics = (equity: number, daily_floor: number, max_floor: number) =>
  ({ equity, daily_floor, max_floor }) as AccountMetrics;

describe("distance to the floor", () => {
  it("measures from the higher of the two floors, negative once below it", () => {
    expect(distanceToFloor(metrics(96_000, 95_000, 90_000), {})).toBe(1_000);
    expect(distanceToFloor(metrics(94_500, 95_000, 90_000), {})).toBe(-500);
    expect(distanceToFloor(null, {})).toBeNull();
  });

  it("rounds to the account currency's smallest unit, like the floors", () => {
    const m = metrics(1_000_000.4567, 950_000, 900_000);
    // No digits (a yen account): whole units, not cents.
    expect(distanceToFloor(m, { currency_digits: 0 })).toBe(50_000);
    // Three digits: mills, where cents would lose one.
    expect(distanceToFloor(m, { currency_digits: 3 })).toBe(50_000.457);
    // The default is two digits.
    expect(distanceToFloor(m, {})).toBe(50_000.46);
  });
});
