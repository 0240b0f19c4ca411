/** Money rounding (risk-rules.md, version 2, "Money precision"). */

/**
 * Rounds money to the currency's smallest unit, `1 / scale` (scale = 10 ** currency_digits),
 * half away from zero. A relative nudge of two ulps absorbs the binary error of a decimal
 * product (1.005 * 100 = 100.49999999999999 rounds to 101, as 1.005 does in decimal).
 */
export function roundMoney(value: number, scale = 100): number {
  const scaled = (value < 0 ? -value : value) * scale;
  const rounded = Math.round(scaled + scaled * 2 * Number.EPSILON) / scale;
  return value < 0 ? -rounded : rounded;
}
