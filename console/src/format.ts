/** Number, money and time formatting for the tables (en, fixed decimals, tabular). */

const money = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `12,345.67`; `-` for null. */
export function fmtMoney(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "-" : money.format(v);
}

/** `12,345`. */
export function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "-" : int.format(v);
}

/** `97.2%`. */
export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "-" : `${v.toFixed(1)}%`;
}

/** Age of an ISO time relative to `nowMs`: `4s`, `3m`, `2h`, `5d`. */
export function fmtAge(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** `2026-11-26 06:00:01` in the browser's zone. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
