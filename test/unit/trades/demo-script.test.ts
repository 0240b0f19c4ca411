/** The trades demo's script (dev/trades-demo.ts) gives what docs/trades.md, "Demo", promises. */
import { describe, expect, it } from "vitest";
import { TRADES_DEMO_RULES, tradesScript } from "../../../dev/trades-demo.ts";
import { judgeTrades, violationKey, type TradeView } from "../../../src/risk/trade-rules/index.ts";
import { input, rules } from "./fixtures.ts";

describe("trades demo script", () => {
  it("yields a news violation, a missing stop loss, and soft, soft, hard short holds", () => {
    const start = Date.UTC(2026, 11, 7, 10, 0, 0);
    const trades = new Map<number, TradeView>();
    const r = rules(TRADES_DEMO_RULES);
    const calendar = [{ atMs: start + 120_000, currency: "JPY", impact: "high" as const }];
    const recorded = new Set<string>();
    const counts: Record<string, number> = {};
    const found: Array<[string, number | null, string]> = [];
    // Judged after every step and once a minute, as the poll would.
    const steps = tradesScript(start);
    for (let s = 0; s <= 240; s += 1) {
      for (const step of steps.filter((x) => x.at_s === s)) {
        const body = step.body as { ticket: number; symbol: string; stopLoss?: number };
        if (step.path === "open") {
          trades.set(body.ticket, {
            ticket: body.ticket,
            symbol: body.symbol,
            kind: "position",
            lots: 0.5,
            openMs: start + s * 1000,
            closeMs: null,
            stopLoss: body.stopLoss ?? 0,
            profit: 0,
            swap: 0,
            commission: 0,
            stopLossSeenMs: body.stopLoss ? start + s * 1000 : null,
          });
        } else
          trades.set(body.ticket, {
            ...trades.get(body.ticket)!,
            closeMs: start + s * 1000,
            profit: -12.5,
          });
      }
      if (s % 10 !== 0) continue;
      for (const v of judgeTrades(
        r,
        input({
          nowMs: start + s * 1000,
          trades: [...trades.values()],
          calendar,
          recorded,
          counts,
        }),
      )) {
        recorded.add(violationKey(v.rule, v.period));
        counts[v.rule] = (counts[v.rule] ?? 0) + 1;
        found.push([v.rule, v.ticket, v.severity]);
      }
    }
    expect(found).toEqual([
      ["stop_loss_required", 24001, "soft"],
      ["news", 24002, "soft"],
      ["min_hold_s", 24003, "soft"],
      ["min_hold_s", 24004, "soft"],
      ["min_hold_s", 24005, "hard"],
    ]);
  });
});
