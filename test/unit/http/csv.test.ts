import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attachment, csvCell, csvRow, csvStream } from "../../../src/http/csv.ts";
import { parseCsv } from "../fixtures.ts";

/** The characters that matter to CSV and to the guard, and a few that do not. */
const csvChar = fc.constantFrom("a", "1", " ", '"', ",", "\r", "\n", "=", "+", "-", "@", "'", "é");

describe("csvCell", () => {
  it("quotes fields with commas, quotes, CR or LF and doubles the quotes", () => {
    expect(csvCell('say "hi", then\r\nleave')).toBe('"say ""hi"", then\r\nleave"');
    expect(csvCell("plain")).toBe("plain");
  });

  it("prefixes text beginning with = + - @ with a quote mark", () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
  });

  it("prefixes text beginning with TAB or CR too (some spreadsheets skip them, then evaluate)", () => {
    expect(csvCell("\t=1+1")).toBe("'\t=1+1");
    expect(csvCell("\r=1+1")).toBe(`"'\r=1+1"`);
  });

  it("writes numbers as numbers (a negative number is not a formula), and null as empty", () => {
    expect(csvCell(-12.5)).toBe("-12.5");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(Number.NaN)).toBe("");
  });

  it("round-trips any text through a strict RFC 4180 parser, guarded", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "binary" }), { minLength: 1, maxLength: 6 }),
        (cells) => {
          const [parsed] = parseCsv(csvRow(cells));
          expect(parsed).toEqual(cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
          for (const p of parsed!) expect(p).not.toMatch(/^[=+\-@\t\r]/);
        },
      ),
      { numRuns: 100 },
    );
  }, 30_000);
});

describe("csvStream", () => {
  it("writes the header, then every page pulled by cursor, and closes once at the end", async () => {
    const all = Array.from({ length: 2500 }, (_, i) => ({ id: 2500 - i }));
    const cursors: Array<number | null> = [];
    let closed = 0;
    const stream = csvStream(
      { header: ["id"], cells: (r: { id: number }) => [r.id] },
      async (after) => {
        cursors.push(after?.id ?? null);
        const start = after ? all.findIndex((r) => r.id === after.id) + 1 : 0;
        return all.slice(start, start + 1000);
      },
      async () => {
        closed++;
      },
    );
    const text = await new Response(stream).text();
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(["id"]);
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(all.map((r) => r.id));
    expect(cursors).toEqual([null, 1501, 501, 1]);
    expect(closed).toBe(1);
  });

  it("fetches no page the reader does not ask for, and closes on cancel", async () => {
    let pages = 0;
    let closed = 0;
    const stream = csvStream(
      { header: ["n"], cells: (r: number) => [r] },
      async () => {
        pages++;
        return [1, 2, 3];
      },
      async () => {
        closed++;
      },
    );
    const reader = stream.getReader();
    await reader.read(); // header
    await reader.read(); // first page
    await reader.cancel();
    expect(pages).toBeLessThanOrEqual(2);
    expect(closed).toBe(1);
  });

  it("errors the stream and closes when a page fails", async () => {
    let closed = 0;
    const stream = csvStream(
      { header: ["n"], cells: (r: number) => [r] },
      async () => {
        throw new Error("db down");
      },
      async () => {
        closed++;
      },
    );
    await expect(new Response(stream).text()).rejects.toThrow("db down");
    expect(closed).toBe(1);
  });
});

describe("attachment", () => {
  it("names the file and cannot be broken out of", () => {
    expect(attachment("violations.csv")).toBe('attachment; filename="violations.csv"');
    expect(attachment('a"b\r\n.csv')).toBe('attachment; filename="a_b__.csv"');
  });
});
