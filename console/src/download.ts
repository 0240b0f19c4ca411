/**
 * CSV export of violations: the server's `GET /v1/violations.csv` (RFC 4180, formula-guarded
 * by src/http/csv.ts), saved as a download.
 */
import { query, request } from "./api.ts";

/** The violations CSV of the server's export, with the feed's filters. */
export async function fetchViolationsCsv(
  filters: Record<string, string | undefined>,
): Promise<Blob> {
  const res = await request("GET", `/v1/violations.csv${query(filters)}`);
  return res.blob();
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
