/**
 * A symbol's currencies for the news rule (docs/trades.md, "Calendar"): the first and last
 * three letters of a six-letter name (`EURUSD`: EUR and USD), a broker's suffix stripped
 * (`EURUSDm`, `EURUSD.r`, `EURUSD_i`), unless the calendar's `symbols` map names it
 * (`XAUUSD`: USD; `US30`: USD). A symbol neither form fits has no currencies.
 */

/** Overrides keyed by upper-case symbol (either the broker's full name or the stripped one). */
export type SymbolOverrides = ReadonlyMap<string, readonly string[]>;

const SIX_LETTERS = /^([A-Za-z]{6})(.*)$/;

/** The six-letter base of a broker symbol, or null when it has none. */
export function symbolBase(symbol: string): string | null {
  const match = SIX_LETTERS.exec(symbol.trim());
  if (match === null) return null;
  const rest = match[2]!;
  // An upper-case seventh letter means a longer name (`EURUSDX`?), not a suffix.
  if (rest !== "" && /^[A-Z]/.test(rest)) return null;
  return match[1]!.toUpperCase();
}

/** The currencies the news rule looks up for `symbol`. */
export function symbolCurrencies(symbol: string, overrides: SymbolOverrides): readonly string[] {
  const upper = symbol.trim().toUpperCase();
  const exact = overrides.get(upper);
  if (exact !== undefined) return exact;
  const base = symbolBase(symbol);
  if (base === null) return [];
  const mapped = overrides.get(base);
  if (mapped !== undefined) return mapped;
  return [base.slice(0, 3), base.slice(3)];
}
