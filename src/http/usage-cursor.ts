/**
 * Cursors of the usage-ordered account listing (`sort=usage_desc`): the (usage, id) of the
 * last row of a page. Opaque to clients, like the other cursors (pagination.ts); a cursor of
 * another list is refused with a 400.
 */
import type { UsageKey } from "../accounts/at-risk.ts";
import { badRequest } from "./errors.ts";

const PREFIX = "u1:accounts";

function toBase64Url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The cursor that continues after `key`. */
export function encodeUsageCursor(key: UsageKey): string {
  return toBase64Url(`${PREFIX}:${key.usage}:${key.id}`);
}

/** The key a cursor continues after; undefined for none; a 400 for a bad one. */
export function decodeUsageCursor(cursor: string | undefined): UsageKey | undefined {
  if (cursor === undefined) return undefined;
  let text = "";
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    text = "";
  }
  const match = /^u1:accounts:(-?[0-9.e+-]+):([1-9][0-9]{0,9})$/.exec(text);
  const usage = match ? Number(match[1]) : NaN;
  const id = match ? Number(match[2]) : NaN;
  if (!match || !Number.isFinite(usage) || !Number.isSafeInteger(id) || id > 2_147_483_647) {
    throw badRequest("invalid cursor", [
      { path: "cursor", message: "not a cursor from this list; pass next_cursor as given" },
    ]);
  }
  return { usage, id };
}
