import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFrame, parseItem, type FrameItem } from "../../../../src/live/core/parse-frame.ts";
import {
  parseFrame as referenceParseFrame,
  parseItem as referenceParseItem,
} from "./reference/parse-frame.ts";

const KINDS = ["event", "no_equity", "ack", "service_error", "invalid"];

function only(items: FrameItem[]): FrameItem {
  expect(items).toHaveLength(1);
  return items[0]!;
}

function event(item: FrameItem): Extract<FrameItem, { kind: "event" }> {
  if (item.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(item)}`);
  return item;
}

describe("parseFrame: the spec's example shapes", () => {
  it("reads an OrderProfit with figures under data and every routing key", () => {
    const item = only(
      parseFrame(
        '{ "type": "OrderProfit", "session_id": "def-456", "login": "222", "server": "Demo",' +
          ' "data": { "balance": 100000, "equity": 98800.5, "profit": -1199.5, "margin": 300, "freeMargin": 98500.5 } }',
      ),
    );
    expect(item).toEqual({
      kind: "event",
      keys: { sessionId: "def-456", login: "222", server: "Demo" },
      equity: 98800.5,
      balance: 100000,
    });
  });

  it("reads an OrderProfit keyed by the MTAPI id with PascalCase figures and an epoch-ms timestamp", () => {
    const item = only(
      parseFrame(
        '{ "type": "OrderProfit", "id": "def-456", "timestampUTC": 1764115200000, "data": { "Balance": 100000, "Equity": 98800.5, "Profit": -1199.5 } }',
      ),
    );
    expect(item).toEqual({
      kind: "event",
      keys: { sessionId: "def-456" },
      equity: 98800.5,
      balance: 100000,
      ts: 1764115200000,
    });
  });

  it("reads an equityUpdate keyed by account_id with top-level figures and an ISO timestamp", () => {
    const item = only(
      parseFrame(
        '{ "event": "equityUpdate", "account_id": 42, "equity": 98800.5, "balance": 100000, "ts": "2026-11-26T06:00:00Z" }',
      ),
    );
    expect(item).toEqual({
      kind: "event",
      keys: { accountId: 42 },
      equity: 98800.5,
      balance: 100000,
      ts: Date.UTC(2026, 10, 26, 6),
    });
  });

  it("reads an orderProfit with a string equity and no balance (balance unchanged)", () => {
    const item = event(
      only(parseFrame('{ "type": "orderProfit", "sessionId": "def-456", "equity": "98800.50" }')),
    );
    expect(item).toEqual({ kind: "event", keys: { sessionId: "def-456" }, equity: 98800.5 });
    expect("balance" in item).toBe(false);
  });

  it("matches event type names case-insensitively and ignores the name for figures", () => {
    for (const type of [
      "OrderProfit",
      "orderprofit",
      "EquityUpdate",
      "AccountSummary",
      "ORDERPROFIT",
    ]) {
      expect(
        event(only(parseFrame(JSON.stringify({ type, session_id: "s", equity: 1 })))).equity,
      ).toBe(1);
    }
  });
});

describe("parseFrame: framing", () => {
  it("parses a batched array into one item per element, in order", () => {
    const items = parseFrame(
      JSON.stringify([
        { type: "OrderProfit", session_id: "a", equity: 1 },
        { type: "subscribed", session_id: "a" },
        { type: "OrderUpdate", session_id: "b" },
        7,
      ]),
    );
    expect(items.map((i) => i.kind)).toEqual(["event", "ack", "no_equity", "invalid"]);
  });

  it("returns no items for an empty batch", () => {
    expect(parseFrame("[]")).toEqual([]);
  });

  it("decodes binary frames as UTF-8, from an ArrayBuffer or a Uint8Array", () => {
    const text = JSON.stringify({
      type: "OrderProfit",
      login: "Łódź-7",
      server: "Démo",
      equity: 5,
    });
    const bytes = new TextEncoder().encode(text);
    const expected = { kind: "event", keys: { login: "Łódź-7", server: "Démo" }, equity: 5 };
    expect(parseFrame(bytes)).toEqual([expected]);
    expect(
      parseFrame(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    ).toEqual([expected]);
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes, 2);
    expect(parseFrame(padded.subarray(2, 2 + bytes.length))).toEqual([expected]);
  });

  it("reads acknowledgements", () => {
    expect(parseFrame('{"type":"subscribed","session_id":"x"}')).toEqual([
      { kind: "ack", type: "subscribed" },
    ]);
    expect(parseFrame('{"type":"Unsubscribed"}')).toEqual([{ kind: "ack", type: "unsubscribed" }]);
  });

  it("reads service errors, with or without a message", () => {
    expect(parseFrame('{"type":"error","message":"x"}')).toEqual([
      { kind: "service_error", message: "x" },
    ]);
    const item = only(parseFrame('{"type":"Error","code":42}'));
    expect(item).toEqual({ kind: "service_error", message: '{"type":"Error","code":42}' });
  });

  it("counts an equity-less account event (OrderUpdate) without applying it", () => {
    expect(parseFrame('{"type":"OrderUpdate","session_id":"s","data":{"ticket":1}}')).toEqual([
      { kind: "no_equity", keys: { sessionId: "s" }, type: "OrderUpdate" },
    ]);
  });
});

describe("parseFrame: invalid input", () => {
  it.each([
    ["garbage text", "hello"],
    ["truncated JSON", '{"type":"OrderProfit","equity":1'],
    ["empty text", ""],
  ])("rejects %s as not JSON", (_, text) => {
    expect(parseFrame(text)).toEqual([{ kind: "invalid", reason: "frame is not JSON" }]);
  });

  it.each([["42"], ["null"], ['"text"'], ["true"], ['[[{"equity":1}]]'], ["[null]"]])(
    "rejects %s as not an object",
    (text) => {
      const items = parseFrame(text);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items)
        expect(item).toEqual({ kind: "invalid", reason: "message is not a JSON object" });
    },
  );

  it.each([["NaN"], ["Infinity"], ["-Infinity"], [""], ["  "], ["12abc"], [true], [{}], [[1]]])(
    "rejects an equity of %j",
    (equity) => {
      expect(parseFrame(JSON.stringify({ type: "OrderProfit", session_id: "s", equity }))).toEqual([
        { kind: "invalid", reason: "equity is not a finite number" },
      ]);
    },
  );

  it("rejects a non-finite balance even when the equity is fine", () => {
    expect(
      parseFrame(
        JSON.stringify({
          type: "OrderProfit",
          session_id: "s",
          equity: 1,
          data: { Balance: "NaN" },
        }),
      ),
    ).toEqual([{ kind: "invalid", reason: "balance is not a finite number" }]);
  });

  it("rejects an object with neither a type nor an equity", () => {
    expect(parseFrame('{"session_id":"s","balance":1}')).toEqual([
      { kind: "invalid", reason: "message has neither a type nor an equity" },
    ]);
  });

  it("rejects binary frames that are not JSON without throwing", () => {
    expect(parseFrame(new Uint8Array([0xff, 0xfe, 0x00, 0x80]))).toEqual([
      { kind: "invalid", reason: "frame is not JSON" },
    ]);
  });
});

describe("parseFrame: keys and timestamps", () => {
  it("takes routing keys from data when the top level has none", () => {
    expect(
      event(only(parseFrame('{"type":"OrderProfit","data":{"SessionId":"s-1","Equity":3}}'))).keys,
    ).toEqual({ sessionId: "s-1" });
  });

  it("prefers top-level keys over those under data", () => {
    expect(
      event(
        only(
          parseFrame(
            '{"type":"OrderProfit","sessionId":"top","data":{"session_id":"inner","equity":3}}',
          ),
        ),
      ).keys,
    ).toEqual({
      sessionId: "top",
    });
  });

  it("turns a numeric login into a string and keeps only integer account ids", () => {
    expect(
      event(only(parseFrame('{"equity":1,"login":12345678,"server":"S","accountId":"7"}'))).keys,
    ).toEqual({
      login: "12345678",
      server: "S",
      accountId: 7,
    });
    expect(event(only(parseFrame('{"equity":1,"account_id":7.5}'))).keys).toEqual({});
  });

  it.each([
    ["epoch ms", 1764115200000, 1764115200000],
    ["epoch ms as a string", "1764115200000", 1764115200000],
    ["epoch seconds", 1764115200, 1764115200000],
    ["epoch microseconds (read by magnitude)", 1764115200000000, 1764115200000],
    ["epoch nanoseconds (read by magnitude)", "1764115200000000000", 1764115200000],
    ["ISO-8601", "2026-11-26T06:00:00.250Z", Date.UTC(2026, 10, 26, 6, 0, 0, 250)],
  ])("reads a timestamp given as %s", (_, ts, expected) => {
    expect(event(only(parseFrame(JSON.stringify({ equity: 1, ts })))).ts).toBe(expected);
  });

  it("leaves out a timestamp it cannot read", () => {
    expect("ts" in event(only(parseFrame('{"equity":1,"ts":"yesterday"}')))).toBe(false);
  });
});

describe("parseFrame properties", () => {
  function wellFormed(items: FrameItem[]) {
    expect(Array.isArray(items)).toBe(true);
    for (const item of items) expect(KINDS).toContain(item.kind);
  }

  it("never throws on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (text) => wellFormed(parseFrame(text))));
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(fc.property(fc.json(), (text) => wellFormed(parseFrame(text))));
  });

  it("never throws on arbitrary values, serialized or handed straight to parseItem", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const text = JSON.stringify(value);
        if (text !== undefined) wellFormed(parseFrame(text));
        expect(KINDS).toContain(parseItem(value).kind);
      }),
    );
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => wellFormed(parseFrame(bytes))),
    );
  });

  it("never throws on event-like objects with hostile field values", () => {
    const hostile = fc.oneof(
      fc.anything(),
      fc.constantFrom("NaN", "Infinity", "", " ", "1e400", "-0", "0x10"),
    );
    const eventLike = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom("OrderProfit", "error", "subscribed", "OrderUpdate"),
          hostile,
        ),
        equity: hostile,
        Balance: hostile,
        session_id: hostile,
        login: hostile,
        server: hostile,
        account_id: hostile,
        ts: hostile,
        data: fc.oneof(
          hostile,
          fc.record(
            { Equity: hostile, balance: hostile, sessionId: hostile },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(eventLike, fc.array(eventLike, { maxLength: 4 })), (value) => {
        const text = JSON.stringify(value);
        if (text !== undefined) wellFormed(parseFrame(text));
      }),
    );
  });

  it("carries exactly the given equity and balance whatever the spelling, place and encoding", () => {
    const finite = fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => (Object.is(n, -0) ? 0 : n));
    fc.assert(
      fc.property(
        finite,
        finite,
        fc.constantFrom("camel", "snake", "Pascal"),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (equity, balance, spelling, nested, equityAsString, balanceAsString) => {
          const names =
            spelling === "Pascal"
              ? ["Equity", "Balance", "SessionId"]
              : spelling === "snake"
                ? ["equity", "balance", "session_id"]
                : ["equity", "balance", "sessionId"];
          const figures = {
            [names[0]!]: equityAsString ? String(equity) : equity,
            [names[1]!]: balanceAsString ? String(balance) : balance,
          };
          const message = nested
            ? { type: "OrderProfit", [names[2]!]: "s-1", data: figures }
            : { type: "OrderProfit", [names[2]!]: "s-1", ...figures };
          const item = event(only(parseFrame(JSON.stringify(message))));
          expect(item.equity).toBe(equity);
          expect(item.balance).toBe(balance);
          expect(item.keys).toEqual({ sessionId: "s-1" });
        },
      ),
    );
  });
});

describe("the `id` key", () => {
  it("routes by `id` as a session only when it is a string", () => {
    const byString = parseFrame('{"equity":1,"id":"sess-9"}')[0]!;
    const byNumber = parseFrame('{"equity":1,"id":12345}')[0]!;
    expect(byString.kind === "event" && byString.keys).toEqual({ sessionId: "sess-9" });
    expect(byNumber.kind === "event" && byNumber.keys).toEqual({});
  });
});

describe("parseItem agrees with the reference (field reads written out per spelling)", () => {
  // reference/parse-frame.ts is the parser before its reads were written out per spelling:
  // every item must come out the same, whatever spellings, values and nesting a frame has.
  const value = fc.oneof(
    fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
    fc.double(),
    fc.constantFrom(0, 1_733_000_000, 1_733_000_000_123, Number.NaN, Number.POSITIVE_INFINITY),
    fc.constantFrom("", " ", "12.5", " 7 ", "abc", "true", "FALSE", " true ", "yes"),
    fc.constantFrom("2026-12-06T10:00:00Z", "2026-12-06 10:00:00", "1733000000"),
    fc.boolean(),
    fc.constant(null),
    fc.constant({ nested: 1 }),
    fc.constant([1, 2]),
    fc.string({ maxLength: 6 }),
  );
  const FIELDS = [
    ...["equity", "Equity", "balance", "Balance", "sessionId", "SessionId", "session_id"],
    ...["id", "Id", "login", "Login", "server", "Server", "accountId", "AccountId", "account_id"],
    ...["synced", "Synced", "timestampUTC", "TimestampUTC", "timestamp_u_t_c", "timestamp_utc"],
    ...["ts", "timestamp", "Timestamp", "time", "Time", "update", "Update", "openedOrders"],
    ...["OpenedOrders", "opened_orders", "message", "profit"],
  ];
  const type = fc.oneof(
    fc.constantFrom("OrderProfit", "OrderUpdate", "subscribed", "SUBSCRIBED", "Unsubscribed"),
    fc.constantFrom("error", "ERROR", "eRRor", "errors", "K", "subscribe", "\u212Aelvin"),
    fc.string({ maxLength: 12 }),
    fc.integer(),
  );
  const fields = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 });
  const typeKey = fc.constantFrom("type", "Type", "event", "Event");
  const message = fc
    .record({
      top: fields,
      data: fc.option(fc.oneof(fields, value), { nil: undefined }),
      dataKey: fc.constantFrom("data", "Data"),
      type: fc.option(fc.tuple(typeKey, type), { nil: undefined }),
    })
    .map(({ top, data, dataKey, type: t }) => {
      const o: Record<string, unknown> = { ...top };
      if (data !== undefined) o[dataKey] = data;
      if (t) o[t[0]] = t[1];
      return o;
    });

  it("gives the same item for any message", () => {
    fc.assert(
      fc.property(fc.oneof(message, value), (m) => {
        expect(parseItem(m)).toEqual(referenceParseItem(m));
      }),
      { numRuns: 3000 },
    );
  });

  it("gives the same items for any frame text", () => {
    fc.assert(
      fc.property(fc.oneof(message, fc.array(message, { maxLength: 3 })), (m) => {
        const text = JSON.stringify(m);
        expect(parseFrame(text)).toEqual(referenceParseFrame(text));
      }),
      { numRuns: 1000 },
    );
  });
});
