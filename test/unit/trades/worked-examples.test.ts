/** The worked examples E14-E17 of docs/trades.md ("Worked examples"), and escalation. */
import { describe, expect, it } from "vitest";
import { judgeTrades } from "../../../src/risk/trade-rules/index.ts";
import { input, rules, trade, utc } from "./fixtures.ts";

describe("E14 stop loss", () => {
  const r = rules({ stop_loss_required: { grace_s: 60 } });
  const t = trade({ openMs: utc("2026-12-04T10:00:00") });

  it("records nothing at 10:00:59 and one soft violation for the ticket at 10:01:00", () => {
    expect(judgeTrades(r, input({ nowMs: utc("2026-12-04T10:00:59"), trades: [t] }))).toEqual([]);
    const found = judgeTrades(r, input({ nowMs: utc("2026-12-04T10:01:00"), trades: [t] }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      rule: "stop_loss_required",
      ticket: t.ticket,
      severity: "soft",
      detectedAtMs: utc("2026-12-04T10:01:00"),
    });
  });

  it("a stop loss set at 10:02 changes nothing already recorded, and nothing is recorded twice", () => {
    const first = judgeTrades(r, input({ nowMs: utc("2026-12-04T10:01:30"), trades: [t] }));
    const recorded = new Set(first.map((v) => `${v.rule}|${v.period}`));
    const later = { ...t, stopLoss: 1.07, stopLossSeenMs: utc("2026-12-04T10:02:00") };
    expect(
      judgeTrades(r, input({ nowMs: utc("2026-12-04T10:03:00"), trades: [later], recorded })),
    ).toEqual([]);
    expect(
      judgeTrades(r, input({ nowMs: utc("2026-12-04T10:03:00"), trades: [t], recorded })),
    ).toEqual([]);
  });

  it("a position that got its stop loss within the grace is never a violation", () => {
    const safe = { ...t, stopLoss: 1.07, stopLossSeenMs: utc("2026-12-04T10:00:30") };
    expect(judgeTrades(r, input({ nowMs: utc("2026-12-04T12:00:00"), trades: [safe] }))).toEqual(
      [],
    );
  });
});

describe("E15 escalation", () => {
  it("three trades closed after 20 s, 35 s and 50 s are soft, soft, hard", () => {
    const r = rules({ min_hold_s: { seconds: 60, escalate_after: 3 } });
    const open = utc("2026-12-04T09:00:00");
    const trades = [20, 35, 50].map((s, i) =>
      trade({ openMs: open + i * 100_000, closeMs: open + i * 100_000 + s * 1000 }),
    );
    const found = judgeTrades(r, input({ nowMs: utc("2026-12-04T10:00:00"), trades }));
    expect(found.map((v) => v.severity)).toEqual(["soft", "soft", "hard"]);
    expect(found[2]!.escalated).toBe(true);
    expect(found.map((v) => v.ticket)).toEqual(trades.map((t) => t.ticket));
  });

  it("counts the violations recorded before: the third overall escalates even when judged alone", () => {
    const r = rules({ min_hold_s: { seconds: 60, escalate_after: 3 } });
    const t = trade({ openMs: utc("2026-12-04T09:00:00"), closeMs: utc("2026-12-04T09:00:10") });
    const found = judgeTrades(
      r,
      input({ nowMs: utc("2026-12-04T10:00:00"), trades: [t], counts: { min_hold_s: 2 } }),
    );
    expect(found).toMatchObject([{ severity: "hard", escalated: true }]);
  });

  it("a trade held exactly the minimum is no violation", () => {
    const r = rules({ min_hold_s: { seconds: 60 } });
    const t = trade({ openMs: utc("2026-12-04T09:00:00"), closeMs: utc("2026-12-04T09:01:00") });
    expect(judgeTrades(r, input({ nowMs: utc("2026-12-04T10:00:00"), trades: [t] }))).toEqual([]);
  });
});

describe("E16 news", () => {
  const r = rules({ news: { window_min: 2, scope: "open" } });
  const calendar = [{ atMs: utc("2026-12-04T14:30:00"), currency: "USD", impact: "high" as const }];
  const now = utc("2026-12-04T15:00:00");

  it("EURUSD opened 14:28:30 is a violation; GBPJPY at 14:29 and EURUSD at 14:32:01 are not", () => {
    const hit = trade({ openMs: utc("2026-12-04T14:28:30") });
    const otherCurrencies = trade({ symbol: "GBPJPY", openMs: utc("2026-12-04T14:29:00") });
    const late = trade({ openMs: utc("2026-12-04T14:32:01") });
    const found = judgeTrades(
      r,
      input({ nowMs: now, calendar, trades: [hit, otherCurrencies, late] }),
    );
    expect(found.map((v) => [v.rule, v.ticket, v.severity])).toEqual([
      ["news", hit.ticket, "soft"],
    ]);
  });

  it("a broker suffix is stripped and the calendar's symbol map overrides the letters", () => {
    const suffixed = trade({ symbol: "EURUSD.r", openMs: utc("2026-12-04T14:29:00") });
    const gold = trade({ symbol: "XAUUSD", openMs: utc("2026-12-04T14:29:00") });
    const index = trade({ symbol: "US30", openMs: utc("2026-12-04T14:31:00") });
    const symbols = new Map([["US30", ["USD"]]]);
    const found = judgeTrades(
      r,
      input({ nowMs: now, calendar, symbols, trades: [suffixed, gold, index] }),
    );
    // XAUUSD reads as XAU and USD by its letters, so it is caught too.
    expect(found.map((v) => v.ticket).sort()).toEqual(
      [suffixed.ticket, gold.ticket, index.ticket].sort(),
    );
  });

  it("a medium event does not count for a high-impact rule", () => {
    const medium = [{ ...calendar[0]!, impact: "medium" as const }];
    const t = trade({ openMs: utc("2026-12-04T14:30:00") });
    expect(judgeTrades(r, input({ nowMs: now, calendar: medium, trades: [t] }))).toEqual([]);
  });
});

describe("E17 weekend", () => {
  const r = rules({ weekend_flat: { cutoff: "Fri 16:45", timezone: "America/New_York" } });
  // Friday 2026-12-04 16:45 New York (EST, UTC-5) is 21:45 UTC.
  const cutoff = utc("2026-12-04T21:45:00");

  it("a position open at Friday 16:45:00 New York time is one violation per ticket and weekend", () => {
    const t = trade({ openMs: utc("2026-12-04T15:00:00") });
    expect(judgeTrades(r, input({ nowMs: cutoff - 1, trades: [t] }))).toEqual([]);
    const found = judgeTrades(r, input({ nowMs: cutoff, trades: [t] }));
    expect(found).toMatchObject([{ rule: "weekend_flat", ticket: t.ticket, detectedAtMs: cutoff }]);
    // Held over a second weekend: a second violation, once.
    const later = judgeTrades(r, input({ nowMs: cutoff + 7 * 86_400_000, trades: [t] }));
    expect(later).toHaveLength(2);
    expect(new Set(later.map((v) => v.period)).size).toBe(2);
  });

  it("a position closed before the cutoff, or opened after it, is not", () => {
    const closedBefore = trade({ openMs: utc("2026-12-04T15:00:00"), closeMs: cutoff });
    const openedAfter = trade({ openMs: cutoff + 1 });
    expect(
      judgeTrades(r, input({ nowMs: cutoff + 3_600_000, trades: [closedBefore, openedAfter] })),
    ).toEqual([]);
  });

  it("follows daylight saving: in July the cutoff is 20:45 UTC", () => {
    const summer = utc("2026-07-03T20:45:00");
    const t = trade({ openMs: summer - 60_000 });
    expect(judgeTrades(r, input({ nowMs: summer, trades: [t] }))).toHaveLength(1);
    expect(judgeTrades(r, input({ nowMs: summer - 1, trades: [t] }))).toHaveLength(0);
  });
});
