/**
 * CSV exports, the format and the stream (docs/api.md, "Exports"): RFC 4180 (CRLF line
 * ends; a field with a comma, quote, CR or LF is quoted, its quotes doubled), a guard against
 * spreadsheet formula injection (a cell beginning with `=`, `+`, `-`, `@`, TAB or CR gets a
 * leading `'`), and a `ReadableStream` that pulls one page at a time by keyset cursor, so memory stays
 * constant whatever the number of rows.
 */

/** A cell value; null and undefined are empty cells. */
export type CsvValue = string | number | boolean | null | undefined;

/** `=`, `+`, `-`, `@`, and TAB and CR, which some spreadsheets skip before evaluating a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell. Numbers are written as JavaScript prints them; a negative number is a number, not
 * a formula, so it is not prefixed (the guard is for text that a spreadsheet would evaluate).
 */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record with its CRLF. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/** A table's columns: header names and the cells of a row. */
export interface CsvTable<R> {
  header: readonly string[];
  cells: (row: R) => CsvValue[];
}

/**
 * A stream of the CSV of every row `fetchPage` gives: the header first, then each page as it
 * is pulled. `fetchPage(after)` answers up to one page after the cursor (`null` first), and an
 * empty page at the end. `done` runs once, at the end, on an error, or when the reader cancels.
 */
export function csvStream<R>(
  table: CsvTable<R>,
  fetchPage: (after: R | null) => Promise<R[]>,
  done: () => Promise<void> = async () => {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let last: R | null = null;
  let headerSent = false;
  let closed = false;
  const finish = async () => {
    if (closed) return;
    closed = true;
    await done();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(csvRow(table.header)));
          return;
        }
        try {
          const page = await fetchPage(last);
          if (page.length === 0) {
            await finish();
            controller.close();
            return;
          }
          last = page[page.length - 1]!;
          let chunk = "";
          for (const row of page) chunk += csvRow(table.cells(row));
          controller.enqueue(encoder.encode(chunk));
        } catch (err) {
          await finish();
          controller.error(err);
        }
      },
      async cancel() {
        await finish();
      },
    },
    // One chunk ahead at most: the reader's pace sets the database's.
    { highWaterMark: 1 },
  );
}

/** A `Content-Disposition` value for a download named `name`. */
export function attachment(name: string): string {
  return `attachment; filename="${name.replace(/["\\\r\n]/g, "_")}"`;
}
