/**
 * The economic calendar's input (docs/trades.md, "Calendar"): events `{at, currency, impact,
 * title}` and a `symbols` map as zod schemas, and the CSV import (`at,currency,impact,title`,
 * a header row optional, RFC 4180 quoting). A bad row is reported with its line; nothing of a
 * file with a bad row is imported.
 */
import { z } from "zod";
import { NEWS_IMPACTS } from "../../risk/trade-rules/index.ts";

/** The most events one import may carry. */
export const MAX_CALENDAR_EVENTS = 20_000;

export const CalendarEventInputSchema = z.strictObject({
  at: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with Z or an offset" }),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, { error: "must be a three-letter currency code" })
    .transform((c) => c.toUpperCase()),
  impact: z.enum(NEWS_IMPACTS, { error: 'must be "high", "medium" or "low"' }),
  title: z
    .string()
    .max(200)
    .regex(/^[^\u0000]*$/)
    .default(""),
});

export const SymbolsInputSchema = z.record(
  z
    .string()
    .min(1)
    .max(40)
    .regex(/^[^\u0000]*$/),
  z
    .array(z.string().regex(/^[A-Za-z]{3}$/, { error: "must be three-letter currency codes" }))
    .max(4)
    .transform((l) => l.map((c) => c.toUpperCase())),
);

export const CalendarInputSchema = z.strictObject({
  events: z.array(CalendarEventInputSchema).max(MAX_CALENDAR_EVENTS).default([]),
  symbols: SymbolsInputSchema.default({}),
});

export type CalendarEventInput = z.output<typeof CalendarEventInputSchema>;

/** Splits CSV text into rows of fields (RFC 4180: quotes, doubled quotes, CRLF or LF). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ""));
}

/** The events of a CSV import, or each bad row's line and problem. */
export function parseCalendarCsv(
  text: string,
):
  | { ok: true; events: CalendarEventInput[] }
  | { ok: false; errors: Array<{ line: number; message: string }> } {
  const rows = csvRows(text.replace(/^\uFEFF/, ""));
  const errors: Array<{ line: number; message: string }> = [];
  const events: CalendarEventInput[] = [];
  rows.forEach((cells, i) => {
    const line = i + 1;
    if (i === 0 && cells[0]?.trim().toLowerCase() === "at") return;
    if (cells.length < 3 || cells.length > 4) {
      errors.push({
        line,
        message: `expected at,currency,impact,title (got ${cells.length} fields)`,
      });
      return;
    }
    const parsed = CalendarEventInputSchema.safeParse({
      at: cells[0]!.trim(),
      currency: cells[1]!.trim(),
      impact: cells[2]!.trim().toLowerCase(),
      title: (cells[3] ?? "").trim(),
    });
    if (parsed.success) events.push(parsed.data);
    else
      errors.push({
        line,
        message: parsed.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; "),
      });
  });
  if (events.length > MAX_CALENDAR_EVENTS)
    errors.push({ line: 0, message: `more than ${MAX_CALENDAR_EVENTS} events` });
  return errors.length > 0 ? { ok: false, errors: errors.slice(0, 50) } : { ok: true, events };
}
