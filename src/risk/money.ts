/** Money rounding (docs/rules.md, "Money precision"). */

/**
 * Rounds money to the currency's smallest unit, `1 / scale` (scale = 10 ** currency_digits),
 * half away from zero. A nudge of a few ulps absorbs the binary error of the decimal
 * arithmetic that made `value` (1.005 * 100 = 100.49999999999999 rounds to 101, as 1.005
 * does in decimal). A floor is a difference, `reference - allowance`, whose error is an ulp
 * of the *reference*, not of the (much smaller) floor: `magnitude` is the largest operand
 * (the reference), so a floor at 97% of 33,789.50 (exactly 1,013.685) rounds to 1,013.69.
 * @param magnitude the largest absolute operand that produced `value` (default: `value`).
 */
export function roundMoney(value: number, scale = 100, magnitude = value): number {
  const scaled = (value < 0 ? -value : value) * scale;
  const size = (magnitude < 0 ? -magnitude : magnitude) * scale;
  const nudge = (size > scaled ? size : scaled) * 4 * Number.EPSILON;
  const rounded = Math.round(scaled + nudge) / scale;
  return value < 0 ? -rounded : rounded;
}
