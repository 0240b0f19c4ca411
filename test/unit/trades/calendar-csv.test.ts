/** The calendar's CSV import (docs/trades.md, "Calendar"): good rows in, bad rows named by line. */
import { describe, expect, it } from "vitest";
import { csvRows, parseCalendarCsv } from "../../../src/domain/trades/calendar.ts";

describe("calendar CSV", () => {
  it("reads rows with a header, quotes, CRLF and a BOM", () => {
    const text =
      '\uFEFFat,currency,impact,title\r\n2026-12-04T13:30:00Z,usd,High,"Non-Farm Payrolls, Nov"\r\n2026-12-04T15:00:00+01:00,EUR,medium,\n';
    expect(parseCalendarCsv(text)).toEqual({
      ok: true,
      events: [
        {
          at: "2026-12-04T13:30:00Z",
          currency: "USD",
          impact: "high",
          title: "Non-Farm Payrolls, Nov",
        },
        { at: "2026-12-04T15:00:00+01:00", currency: "EUR", impact: "medium", title: "" },
      ],
    });
    expect(csvRows('a,"b ""q""",c')).toEqual([["a", 'b "q"', "c"]]);
  });

  it("names every bad line and imports nothing", () => {
    const text =
      "2026-12-04T13:30:00,USD,high,no zone\n2026-12-04T13:30:00Z,US,high,x\n2026-12-04T13:30:00Z,USD,huge,x\nonly,two\n2026-12-04T13:30:00Z,USD,high,ok\n";
    const parsed = parseCalendarCsv(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((e) => e.line)).toEqual([1, 2, 3, 4]);
  });
});
