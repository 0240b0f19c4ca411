/** Each trade rule of docs/trades.md, "Trade rules", severity and the once-only guarantee. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  TradeRulesSchema,
  judgeTrades,
  symbolCurrencies,
  violationKey,
} from "../../../src/risk/trade-rules/index.ts";
import { resolveRules } from "../../../src/risk/index.ts";
import { input, rules, trade, utc } from "./fixtures.ts";

const now = utc("2026-12-02T12:00:00");

describe("trade rules", () => {
  it("max_lots: the position that takes the total over the cap is the violation", () => {
    const r = rules({ max_lots: { total: 2 } });
    const a = trade({ openMs: now - 3000, lots: 1 });
    const b = trade({ openMs: now - 2000, lots: 1 });
    const c = trade({ openMs: now - 1000, lots: 0.5 });
    expect(judgeTrades(r, input({ nowMs: now, trades: [c, a, b] })).map((v) => v.ticket)).toEqual([
      c.ticket,
    ]);
  });

  it("max_lots per_symbol counts one symbol, and pending orders never count", () => {
    const r = rules({ max_lots: { per_symbol: 1 } });
    const a = trade({ openMs: now - 3000, lots: 1 });
    const other = trade({ openMs: now - 2000, lots: 1, symbol: "GBPUSD" });
    const pending = trade({ openMs: now - 1500, lots: 5, kind: "pending" });
    const b = trade({ openMs: now - 1000, lots: 0.01 });
    expect(
      judgeTrades(r, input({ nowMs: now, trades: [a, other, pending, b] })).map((v) => v.ticket),
    ).toEqual([b.ticket]);
  });

  it("max_open_positions: more open at once than the limit", () => {
    const r = rules({ max_open_positions: { limit: 2 } });
    const ts = [1, 2, 3].map((i) => trade({ openMs: now - 10_000 + i }));
    const closed = trade({ openMs: now - 20_000, closeMs: now - 15_000 });
    expect(
      judgeTrades(r, input({ nowMs: now, trades: [...ts, closed] })).map((v) => v.ticket),
    ).toEqual([ts[2]!.ticket]);
  });

  it("max_loss_per_trade: a closed trade's loss counts swap and commission; an open one's floating loss", () => {
    const r = rules({ max_loss_per_trade: { limit: 1, unit: "percent" } });
    const within = trade({
      openMs: now - 9000,
      closeMs: now - 5000,
      profit: -990,
      commission: -10,
    });
    const over = trade({
      openMs: now - 9000,
      closeMs: now - 4000,
      profit: -990,
      swap: -5,
      commission: -10,
    });
    const floating = trade({ openMs: now - 9000, profit: -1500 });
    const found = judgeTrades(r, input({ nowMs: now, trades: [within, over, floating] }));
    expect(found.map((v) => v.ticket)).toEqual([over.ticket, floating.ticket]);
    expect(found[0]!.detail).toMatchObject({ loss: 1005, cap: 1000 });
  });

  it("max_loss_per_trade with severity hard fails at once", () => {
    const r = rules({ max_loss_per_trade: { limit: 500, unit: "amount", severity: "hard" } });
    const t = trade({ openMs: now - 9000, closeMs: now - 4000, profit: -600 });
    expect(judgeTrades(r, input({ nowMs: now, trades: [t] }))).toMatchObject([
      { severity: "hard", escalated: false },
    ]);
  });

  it("max_floating_loss_per_symbol sums a symbol's open positions, once per symbol and day", () => {
    const r = rules({ max_floating_loss_per_symbol: { limit: 2000, unit: "amount" } });
    const a = trade({ openMs: now - 9000, profit: -1200 });
    const b = trade({ openMs: now - 8000, profit: -900 });
    const other = trade({ openMs: now - 8000, profit: -1900, symbol: "GBPUSD" });
    const found = judgeTrades(r, input({ nowMs: now, trades: [a, b, other] }));
    expect(found).toMatchObject([
      { ticket: null, period: "EURUSD@2026-12-02", detail: { loss: 2100 } },
    ]);
  });

  it("inactivity_days: no trade opened for that many days, once per quiet stretch", () => {
    const r = rules({ inactivity_days: { days: 3 } });
    const last = trade({ openMs: now - 3 * 86_400_000, closeMs: now - 3 * 86_400_000 + 60_000 });
    const found = judgeTrades(
      r,
      input({ nowMs: now, trades: [last], watchedSinceMs: now - 30 * 86_400_000 }),
    );
    expect(found).toMatchObject([{ rule: "inactivity_days", detectedAtMs: now }]);
    expect(judgeTrades(r, input({ nowMs: now - 1, trades: [last] }))).toEqual([]);
    const recorded = new Set(found.map((v) => violationKey(v.rule, v.period)));
    expect(judgeTrades(r, input({ nowMs: now + 86_400_000, trades: [last], recorded }))).toEqual(
      [],
    );
  });

  it("a ticket reused after a year is a new trade with a violation of its own", () => {
    const r = rules({ min_hold_s: { seconds: 60 } });
    const old = trade({
      ticket: 7,
      openMs: now - 366 * 86_400_000,
      closeMs: now - 366 * 86_400_000 + 5000,
    });
    const first = judgeTrades(r, input({ nowMs: now, trades: [old] }));
    const recorded = new Set(first.map((v) => violationKey(v.rule, v.period)));
    const reused = trade({ ticket: 7, openMs: now - 10_000, closeMs: now - 5000 });
    expect(judgeTrades(r, input({ nowMs: now, trades: [old, reused], recorded }))).toHaveLength(1);
  });

  it("absent trade rules judge nothing", () => {
    const t = trade({ openMs: now - 1000, closeMs: now - 999, profit: -1e9 });
    expect(judgeTrades(undefined, input({ nowMs: now, trades: [t] }))).toEqual([]);
  });
});

describe("trade rules input", () => {
  it("fills in the spec's defaults", () => {
    expect(rules({ stop_loss_required: {}, news: {} })).toEqual({
      stop_loss_required: { grace_s: 60 },
      news: { window_min: 2, impact: "high", scope: "open" },
    });
  });

  it("rejects a misspelt rule, a bad cutoff, an unknown zone, max_lots with no cap, a percent of 100", () => {
    for (const bad of [
      { stop_los_required: {} },
      { weekend_flat: { cutoff: "Friday 4pm", timezone: "UTC" } },
      { weekend_flat: { cutoff: "Fri 16:45", timezone: "Mars/Olympus" } },
      { max_lots: {} },
      { max_loss_per_trade: { limit: 100, unit: "percent" } },
      { min_hold_s: { seconds: 60, escalate_after: 0 } },
      { min_hold_s: { seconds: 60, severity: "medium" } },
    ]) {
      expect(TradeRulesSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("an account's rules accept trade_rules in both forms, and leave them out when absent", () => {
    const full = resolveRules({
      initial_balance: 100_000,
      daily_loss: { limit: 5, unit: "percent" },
      max_loss: { limit: 10, unit: "percent" },
      trade_rules: { min_hold_s: { seconds: 60, escalate_after: 3 } },
    });
    expect(full.ok && full.rules.trade_rules).toEqual({
      min_hold_s: { seconds: 60, escalate_after: 3 },
    });
    const preset = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 100_000,
      trade_rules: { news: {} },
    });
    expect(preset.ok && preset.rules.trade_rules?.news?.window_min).toBe(2);
    const plain = resolveRules({ preset: "ftmo-2step", initial_balance: 100_000 });
    expect(plain.ok && "trade_rules" in plain.rules).toBe(false);
    const bad = resolveRules({
      preset: "ftmo-2step",
      initial_balance: 100_000,
      trade_rules: { max_lots: { total: -1 } },
    });
    expect(bad.ok).toBe(false);
  });
});

describe("symbols", () => {
  it("reads the letters of a six-letter name with or without a suffix", () => {
    const none = new Map<string, string[]>();
    expect(symbolCurrencies("EURUSD", none)).toEqual(["EUR", "USD"]);
    expect(symbolCurrencies("EURUSDm", none)).toEqual(["EUR", "USD"]);
    expect(symbolCurrencies("eurusd_i", none)).toEqual(["EUR", "USD"]);
    expect(symbolCurrencies("US30", none)).toEqual([]);
    expect(symbolCurrencies("GER40.cash", none)).toEqual([]);
    expect(symbolCurrencies("XAUUSD.r", new Map([["XAUUSD", ["USD"]]]))).toEqual(["USD"]);
  });
});

describe("properties", () => {
  const arbTrade = fc.record({
    ticket: fc.integer({ min: 1, max: 30 }),
    open: fc.integer({ min: 0, max: 20 * 86_400 }),
    held: fc.option(fc.integer({ min: 0, max: 5 * 86_400 }), { nil: null }),
    lots: fc.double({ min: 0.01, max: 5, noNaN: true }),
    profit: fc.double({ min: -5000, max: 5000, noNaN: true }),
    stopLoss: fc.constantFrom(0, 1.1),
    symbol: fc.constantFrom("EURUSD", "GBPJPY", "XAUUSD", "US30"),
  });
  const everyRule = rules({
    stop_loss_required: {},
    max_lots: { total: 3, per_symbol: 2 },
    max_open_positions: { limit: 2 },
    min_hold_s: { seconds: 600, escalate_after: 4 },
    max_loss_per_trade: { limit: 1, unit: "percent" },
    max_floating_loss_per_symbol: { limit: 2000, unit: "amount" },
    weekend_flat: { cutoff: "Fri 16:45", timezone: "America/New_York" },
    news: { scope: "both", impact: "medium" },
    inactivity_days: { days: 5 },
  });
  const base = utc("2026-11-01T00:00:00");
  const calendar = [0, 1, 2, 3].map((d) => ({
    atMs: base + d * 3 * 86_400_000 + 50_400_000,
    currency: "USD",
    impact: "high" as const,
  }));

  it("judging again with what was recorded records nothing, and escalation counts never skip", () => {
    fc.assert(
      fc.property(
        fc.array(arbTrade, { maxLength: 25 }),
        fc.integer({ min: 0, max: 30 * 86_400 }),
        (raw, nowS) => {
          const trades = raw.map((t) =>
            trade({
              ticket: t.ticket,
              openMs: base + t.open * 1000,
              closeMs: t.held === null ? null : base + (t.open + t.held) * 1000,
              lots: t.lots,
              profit: t.profit,
              stopLoss: t.stopLoss,
              symbol: t.symbol,
            }),
          );
          const nowMs = base + nowS * 1000;
          const first = judgeTrades(
            everyRule,
            input({ nowMs, trades, calendar, watchedSinceMs: base }),
          );
          const keys = first.map((v) => violationKey(v.rule, v.period));
          expect(new Set(keys).size).toBe(keys.length);
          const again = judgeTrades(
            everyRule,
            input({ nowMs, trades, calendar, watchedSinceMs: base, recorded: new Set(keys) }),
          );
          expect(again).toEqual([]);
          const holds = first.filter((v) => v.rule === "min_hold_s");
          holds.forEach((v, i) => expect(v.severity).toBe(i + 1 >= 4 ? "hard" : "soft"));
          for (const v of first) expect(v.detectedAtMs).toBeLessThanOrEqual(nowMs);
        },
      ),
      { numRuns: 200 },
    );
  });
});
