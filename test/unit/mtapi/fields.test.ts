import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  INVALID,
  isRecord,
  pickNumber,
  pickString,
  spellings,
  toFiniteNumber,
} from "../../../src/domain/wire-fields.ts";

describe("spellings", () => {
  it("gives the camelCase, PascalCase and snake_case forms of a name", () => {
    expect(spellings("freeMargin")).toEqual(["freeMargin", "FreeMargin", "free_margin"]);
    expect(spellings("sessionId")).toEqual(["sessionId", "SessionId", "session_id"]);
  });

  it("lists a one-word name once per distinct spelling", () => {
    expect(spellings("equity")).toEqual(["equity", "Equity"]);
  });
});

describe("toFiniteNumber", () => {
  it.each([
    [42, 42],
    [-1.5, -1.5],
    ["98800.50", 98800.5],
    [" 7 ", 7],
    ["1e3", 1000],
    ["-0.25", -0.25],
  ])("reads %j as %d", (value, expected) => {
    expect(toFiniteNumber(value)).toBe(expected);
  });

  it.each([
    [Number.NaN],
    [Infinity],
    ["NaN"],
    ["Infinity"],
    [""],
    ["   "],
    ["12abc"],
    ["1e400"],
    [true],
    [null],
    [{}],
    [[]],
  ])("rejects %j", (value) => {
    expect(toFiniteNumber(value)).toBe(INVALID);
  });

  it("round-trips every finite number, as a number or as its string", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(toFiniteNumber(n)).toBe(n);
        expect(toFiniteNumber(String(n))).toBe(Object.is(n, -0) ? 0 : n);
      }),
    );
  });
});

describe("pickNumber", () => {
  const names = spellings("freeMargin");

  it("reads the first spelling present", () => {
    expect(pickNumber({ FreeMargin: 5 }, names)).toBe(5);
    expect(pickNumber({ free_margin: "6.5" }, names)).toBe(6.5);
    expect(pickNumber({ freeMargin: 1, FreeMargin: 2 }, names)).toBe(1);
  });

  it("treats null as absent and skips to the next spelling", () => {
    expect(pickNumber({ freeMargin: null, FreeMargin: 3 }, names)).toBe(3);
    expect(pickNumber({ freeMargin: null }, names)).toBeUndefined();
    expect(pickNumber({}, names)).toBeUndefined();
  });

  it("reports a present but non-finite value as invalid rather than absent", () => {
    expect(pickNumber({ freeMargin: "NaN", FreeMargin: 3 }, names)).toBe(INVALID);
  });
});

describe("pickString and isRecord", () => {
  it("reads strings and finite numbers, skipping empty or other values", () => {
    expect(pickString({ login: 12345678 }, ["login"])).toBe("12345678");
    expect(pickString({ login: "", Login: "x" }, ["login", "Login"])).toBe("x");
    expect(pickString({ login: Number.NaN, Login: true }, ["login", "Login"])).toBeUndefined();
  });

  it("accepts only plain objects as records", () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord([])).toBe(false);
    expect(isRecord(null)).toBe(false);
    expect(isRecord("x")).toBe(false);
  });
});
