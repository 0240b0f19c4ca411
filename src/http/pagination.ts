/**
 * Opaque page cursors for the list endpoints. A cursor names the last id of the page it ends
 * (lists are newest first, by id, so the next page is `id < cursor`) and the list it belongs
 * to, so a violations cursor sent to the accounts list is refused rather than misread.
 * Clients must treat it as an opaque string: its encoding may change.
 */
import { badRequest } from "./errors.ts";

/** The lists that hand out cursors. */
export type CursorKind = "accounts" | "violations" | "audit" | "deliveries" | "trades";

const PREFIX = "v1";

function toBase64Url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  return atob(text.replaceAll("-", "+").replaceAll("_", "/"));
}

/** The cursor that continues `kind` after the row with `lastId`. */
export function encodeCursor(kind: CursorKind, lastId: number): string {
  return toBase64Url(`${PREFIX}:${kind}:${lastId}`);
}

/** The id a cursor continues after; `undefined` for no cursor; a 400 for a bad one. */
export function decodeCursor(kind: CursorKind, cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  let text: string;
  try {
    text = fromBase64Url(cursor);
  } catch {
    throw invalidCursor();
  }
  const match = /^v1:([a-z]+):([1-9][0-9]{0,9})$/.exec(text);
  const id = match ? Number(match[2]) : NaN;
  if (!match || match[1] !== kind || !Number.isSafeInteger(id) || id > 2_147_483_647) {
    throw invalidCursor();
  }
  return id;
}

function invalidCursor() {
  return badRequest("invalid cursor", [
    { path: "cursor", message: "not a cursor from this list; pass next_cursor as given" },
  ]);
}

/**
 * A page from `rows` fetched with `limit + 1`: the first `limit` rows, and the cursor of the
 * next page when there was one more row.
 */
export function pageOf<T extends { id: number }>(
  kind: CursorKind,
  rows: readonly T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(kind, last.id) : null };
}
