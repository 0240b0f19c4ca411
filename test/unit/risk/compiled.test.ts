/**
 * The figures compiled once per rule set (compiled.ts) against exact arithmetic: the static
 * max floor, taken from the rule set rather than computed per reading, is the spec's floor
 * rounded to the currency's smallest unit (half away from zero), to the cent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRules, evaluate } from "../../../src/risk/index.ts";
import { applied, rules } from "../fixtures.ts";

/** round((units * (100 - pct)) / 100), half up, in whole smallest units (exact, BigInt). */
function exactFloorUnits(units: bigint, pct: bigint): bigint {
  return (units * (100n - pct) * 2n + 100n) / 200n;
}

describe("the static max floor compiled once per rule set", () => {
  it("equals initial_balance - limit% rounded half up to the cent, through evaluate", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000_000_000 }), // initial_balance in cents
        // Every whole limit to 99%: at high limits initial - allowance loses digits to
        // cancellation (33,789.50 at 97% is exactly 1,013.685), which roundMoney's nudge,
        // sized on the reference, absorbs.
        fc.integer({ min: 1, max: 99 }),
        (cents, pct) => {
          const initial = cents / 100;
          const params = rules({
            preset: "ftmo-2step",
            initial_balance: initial,
            max_loss: { limit: pct, unit: "percent" },
          });
          const expected = Number(exactFloorUnits(BigInt(cents), BigInt(pct))) / 100;
          expect(compileRules(params).staticMaxFloor).toBe(expected);
          const result = applied(
            evaluate(params, null, { equity: initial, at: Date.UTC(2026, 10, 26), source: "poll" }),
          );
          expect(result.max_floor).toBe(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("rounds a half-cent floor at a high limit up, as in decimal (33,789.50 at 97%)", () => {
    const params = rules({
      preset: "ftmo-2step",
      initial_balance: 33_789.5,
      max_loss: { limit: 97, unit: "percent" },
    });
    expect(compileRules(params).staticMaxFloor).toBe(1_013.69);
  });

  it("is the general formula again once an adjustment moves the reference", () => {
    const params = rules({ preset: "ftmo-2step", initial_balance: 100_000 });
    const opened = applied(
      evaluate(params, null, { equity: 100_000, at: Date.UTC(2026, 10, 26), source: "poll" }),
    );
    expect(opened.max_floor).toBe(90_000);
    const deposited = { ...opened.state, adjustment: 10_000, adjustment_id: 1 };
    const next = applied(
      evaluate(params, deposited, {
        equity: 110_000,
        at: Date.UTC(2026, 10, 26, 1),
        source: "poll",
      }),
    );
    expect(next.max_floor).toBe(100_000);
  });
});
