/** The trades demo's script (dev/trades-demo.ts) gives what docs/trades.md, "Demo", promises. */
import { describe, expect, it } from "vitest";
import { tradesDemoPlan } from "../../../dev/trades-demo.ts";
import { judgeTrades, violationKey, type TradeView } from "../../../src/risk/trade-rules/index.ts";
import { input, rules } from "./fixtures.ts";

describe("trades demo script", () => {
  it.each([
    ["on a whole minute", Date.UTC(2026, 11, 7, 10, 0, 0)],
    ["just past one", Date.UTC(2026, 11, 7, 10, 0, 1)],
    ["39 s past one", Date.UTC(2026, 11, 4, 21, 59, 39)],
    ["41 s past one", Date.UTC(2026, 11, 7, 10, 0, 41)],
    ["34 s past one", Date.UTC(2026, 11, 7, 10, 0, 34)],
    ["28 s past one", Date.UTC(2026, 11, 7, 10, 0, 28)],
  ])(
    "started %s: a missing stop loss, a news open, two positions over the cutoff, and soft, soft, hard short holds, the hard one last",
    (_, start) => {
      const trades = new Map<number, TradeView>();
      const plan = tradesDemoPlan(start);
      const r = rules(plan.rules);
      const calendar = [{ atMs: plan.eventAtMs, currency: "JPY", impact: "high" as const }];
      const recorded = new Set<string>();
      const counts: Record<string, number> = {};
      const found: Array<[string, number | null, string]> = [];
      // Judged after every step and once a minute, as the poll would.
      const steps = plan.script;
      const lastStep = Math.max(...steps.map((x) => x.at_s));
      // Quick: the whole script plays within about a minute and a half of the start.
      expect(lastStep).toBeLessThanOrEqual(91);
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
      const sorted = (xs: Array<[string, number | null, string]>) =>
        [...xs].sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));
      expect(sorted(found)).toEqual(
        sorted([
          ["stop_loss_required", 24001, "soft"],
          ["news", 24002, "soft"],
          ["weekend_flat", 24001, "soft"],
          ["weekend_flat", 24002, "soft"],
          ["min_hold_s", 24003, "soft"],
          ["min_hold_s", 24004, "soft"],
          ["min_hold_s", 24005, "hard"],
        ]),
      );
      // The hard one is the last found: what came before is on record when the account fails.
      expect(found[found.length - 1]).toEqual(["min_hold_s", 24005, "hard"]);
      // The last close comes after the cutoff.
      expect(start + lastStep * 1000).toBeGreaterThan(plan.cutoffMs);
    },
  );
});
