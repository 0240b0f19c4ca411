import { describe, expect, it } from "vitest";
import { csvCell, violationsCsv } from "../../../console/src/csv.ts";

describe("console CSV export", () => {
  it("quotes cells holding commas, quotes or line breaks (RFC 4180)", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
    expect(csvCell("two\r\nlines")).toBe('"two\r\nlines"');
  });

  it("prefixes text cells that a spreadsheet would run as a formula, but not numbers", () => {
    expect(csvCell("=HYPERLINK()")).toBe("'=HYPERLINK()");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("@x")).toBe("'@x");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell(-2)).toBe("-2");
  });

  it("writes a header row and one CRLF line per violation", () => {
    const text = violationsCsv([
      {
        id: 7,
        account_id: 42,
        rule: "daily_loss",
        period: "2026-11-26",
        equity: 98999.99,
        floor: 99000,
        usage: 100.0002,
        source: "event",
        detected_at: "2026-11-26T06:00:01.234Z",
      },
    ]);
    expect(text).toBe(
      "id,account_id,rule,period,equity,floor,usage,source,detected_at\r\n" +
        "7,42,daily_loss,2026-11-26,98999.99,99000,100.0002,event,2026-11-26T06:00:01.234Z\r\n",
    );
  });
});
