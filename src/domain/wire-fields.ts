/**
 * Liberal field access for MTAPI and Events payloads (docs/wire-contract.md): a figure may be
 * spelled camelCase, PascalCase or snake_case, and may arrive as a JSON number or a numeric
 * string. Anything present but not finite is invalid.
 */

/** A field present with a value that is not a finite number. */
export const INVALID = Symbol("invalid");

/** The spellings of one field name, computed once per name (not per payload). */
export type Spellings = readonly string[];

/** `freeMargin` -> [`freeMargin`, `FreeMargin`, `free_margin`]. */
export function spellings(camel: string): Spellings {
  const pascal = camel.charAt(0).toUpperCase() + camel.slice(1);
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return [...new Set([camel, pascal, snake])];
}

/** Turns a JSON value into a finite number, or `INVALID`. */
export function toFiniteNumber(value: unknown): number | typeof INVALID {
  if (typeof value === "number") return Number.isFinite(value) ? value : INVALID;
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed === "") return INVALID;
    const n = Number(trimmed);
    return Number.isFinite(n) ? n : INVALID;
  }
  return INVALID;
}

/** Reads a numeric field under any of its spellings: `undefined` when absent. */
export function pickNumber(
  obj: Record<string, unknown>,
  names: Spellings,
): number | undefined | typeof INVALID {
  for (const name of names) {
    const value = obj[name];
    if (value !== undefined && value !== null) return toFiniteNumber(value);
  }
  return undefined;
}

/** Reads a string-ish field (numbers are turned into strings): `undefined` when absent or empty. */
export function pickString(obj: Record<string, unknown>, names: Spellings): string | undefined {
  for (const name of names) {
    const value = obj[name];
    if (typeof value === "string" && value !== "") return value;
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** True for a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
