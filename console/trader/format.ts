/** Formatting for the trader page: money with the account's digits, durations, times in a zone. */

/** `12,345.67` with `digits` decimals; `-` for null. */
export function fmtMoney(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "-";
  return v.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `97.2%`. */
export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "-" : `${v.toFixed(1)}%`;
}

/** `5h 03m 09s` for a number of seconds. */
export function fmtCountdown(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${h}h ${p(m)}m ${p(s % 60)}s`;
}

/** `Sat 6 Dec, 00:00` in `timeZone` (the browser's own when undefined). */
export function fmtZoned(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleString("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** The browser's time zone name. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
}

export const RULE_TITLE: Record<string, string> = {
  daily_loss: "Daily loss limit",
  max_loss: "Maximum loss limit",
};

/** A rule's title; a trade rule (docs/trades.md) by its name in words. */
export function ruleTitle(rule: string): string {
  return RULE_TITLE[rule] ?? rule.replaceAll("_", " ");
}
