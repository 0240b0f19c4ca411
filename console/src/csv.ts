/**
 * CSV export of violations. The server's `GET /v1/violations.csv` is used when it exists;
 * otherwise the console pages through `GET /v1/violations` and writes the same format itself:
 * a header row, RFC 4180 quoting, and a cell that begins with `=`, `+`, `-` or `@` prefixed
 * with `'` (spreadsheet formula injection).
 */
import { ApiError, get, query, request } from "./api.ts";
import type { Page, Violation } from "./types.ts";

const COLUMNS = [
  "id",
  "account_id",
  "rule",
  "period",
  "equity",
  "floor",
  "usage",
  "source",
  "detected_at",
] as const;

/** One CSV cell: formula-guarded, quoted when it holds a comma, quote or line break. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@]/.test(text) && typeof value !== "number") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV text of `rows` (CRLF line ends, header first). */
export function violationsCsv(rows: readonly Violation[]): string {
  const lines = [COLUMNS.join(",")];
  for (const v of rows) lines.push(COLUMNS.map((c) => csvCell(v[c])).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** The violations CSV as a blob: the server's export, or built here from the JSON pages. */
export async function fetchViolationsCsv(
  filters: Record<string, string | undefined>,
): Promise<Blob> {
  try {
    const res = await request("GET", `/v1/violations.csv${query(filters)}`);
    return await res.blob();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const rows: Violation[] = [];
  let cursor: string | null | undefined = null;
  do {
    const page: Page<Violation> = await get<Page<Violation>>(
      `/v1/violations${query({ ...filters, limit: 500, cursor })}`,
    );
    rows.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return new Blob([violationsCsv(rows)], { type: "text/csv;charset=utf-8" });
}

/** Saves `blob` as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
