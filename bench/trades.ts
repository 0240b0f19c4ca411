/**
 * Trades (docs/trades.md): how many orders per second the ingest's pure side parses and
 * batches from `OrderUpdate` events, how many account judgements per second the trade-rule
 * engine makes, and the live equity path's events/s with trade rules on vs off, side by side
 * in one run (the same modules the monitor runs: parseFrame, applyEvent, OrderHandoff).
 * Postgres (the upsert and the violation insert) is not in these figures.
 */
import { applyEvent } from "../src/live/core/event-path.ts";
import { parseFrame } from "../src/live/core/parse-frame.ts";
import { OrderHandoff } from "../src/live/order-handoff.ts";
import { orderBatch } from "../src/domain/trades/batch.ts";
import { judgeTrades, TradeRulesSchema, type TradeView } from "../src/risk/trade-rules/index.ts";
import { fmt, note, quick, runBench } from "./common.ts";
import {
  buildTable,
  floodFrames,
  simAccountsOf,
  subscribeInputs,
  timeLoop,
} from "./monitor-model.ts";

const BENCH = "trades";
const ACCOUNTS = 1000;
const LOOP_MS = quick ? 1500 : 6000;

function order(ticket: number, openMs: number) {
  return {
    ticket,
    symbol: ticket % 3 === 0 ? "EURUSD" : "USDJPY.r",
    orderType: ticket % 2 === 0 ? "Buy" : "Sell",
    lots: "0.50",
    openPrice: 1.0842,
    openTime: new Date(openMs).toISOString().slice(0, 23),
    stopLoss: ticket % 4 === 0 ? 0 : 1.07,
    takeProfit: 0,
    profit: -12.5,
    swap: 0,
    commission: -3.5,
  };
}

await runBench(BENCH, async (report) => {
  // 1. Ingest: OrderUpdate payloads (one update and a 5-position open list each) into batches.
  const now = Date.now();
  const payloads = Array.from({ length: 1000 }, (_, i) => {
    const opened = Array.from({ length: 5 }, (_, k) => order(i * 10 + k, now - k * 60_000));
    return { update: { type: "MarketOpen", order: opened[0] }, openedOrders: opened };
  });
  let orders = 0;
  const ingest = timeLoop(
    payloads.map((_, i) => String(i)),
    LOOP_MS,
    500,
    (key, counts) => {
      const p = payloads[Number(key)]!;
      const batch = orderBatch({
        openOrders: p.openedOrders,
        openComplete: true,
        update: p.update,
        source: "event",
        offsetMinutes: 120,
        nowMs: now,
      });
      orders += batch.upserts.length;
      counts.events += 6; // orders read per event: the update's and five in the list
    },
  );
  report.figure(
    "orders ingested (parse + batch, no Postgres)",
    Math.round(ingest.rate),
    "orders/s",
    `${fmt(Math.round(ingest.rate / 6))} OrderUpdate events/s of 6 orders`,
  );
  report.data.ingest = { ...ingest, orders };

  // 2. Judging: an account with 20 open positions and 200 trades closed in the window, every rule.
  const rules = TradeRulesSchema.parse({
    stop_loss_required: {},
    max_lots: { total: 50, per_symbol: 20 },
    max_open_positions: { limit: 30 },
    min_hold_s: { seconds: 60, escalate_after: 3 },
    max_loss_per_trade: { limit: 1, unit: "percent" },
    max_floating_loss_per_symbol: { limit: 2000, unit: "amount" },
    weekend_flat: { cutoff: "Fri 16:45", timezone: "America/New_York" },
    news: {},
    inactivity_days: { days: 30 },
  });
  const trades: TradeView[] = Array.from({ length: 220 }, (_, i) => ({
    ticket: i + 1,
    symbol: i % 2 ? "EURUSD" : "GBPJPY",
    kind: "position",
    lots: 0.5,
    openMs: now - (i + 1) * 3_600_000,
    closeMs: i < 20 ? null : now - (i + 1) * 3_600_000 + 120_000,
    stopLoss: 1.07,
    profit: -10,
    swap: 0,
    commission: -3,
    stopLossSeenMs: now - (i + 1) * 3_600_000,
  }));
  const calendar = Array.from({ length: 100 }, (_, i) => ({
    atMs: now - i * 7_200_000,
    currency: i % 2 ? "USD" : "JPY",
    impact: "high" as const,
  }));
  const recorded = new Set<string>();
  const judge = timeLoop(["x"], LOOP_MS, 500, (_f, counts) => {
    judgeTrades(rules, {
      nowMs: now,
      initialBalance: 100_000,
      trades,
      calendar,
      symbols: new Map(),
      watchedSinceMs: now - 86_400_000,
      recorded,
      counts: {},
    });
    counts.events++;
  });
  report.figure(
    "trade-rule judgements (220 trades, 100 calendar events, every rule)",
    Math.round(judge.rate),
    "judgements/s",
  );
  report.data.judge = judge;

  // 3. The equity path, trade rules off vs on, alternated in one run.
  const inputsOff = subscribeInputs(ACCOUNTS, 1);
  // The same accounts (sessions), with and without trade rules, so every run routes and applies.
  const inputsOn = inputsOff.map((i) => ({ ...i, rules: { ...i.rules, trade_rules: rules } }));
  const tableOff = buildTable(inputsOff);
  const tableOn = buildTable(inputsOn);
  const framesOff = floodFrames(simAccountsOf(inputsOff), 1, 5000);
  // With trade rules on, one event in ten is an OrderUpdate carrying its orders.
  const framesOn = floodFrames(simAccountsOf(inputsOff), 1, 5000).map((f, i) => {
    if (i % 10 !== 0) return f;
    const e = JSON.parse(f) as { type: string; data: Record<string, unknown> };
    e.type = "OrderUpdate";
    e.data.update = payloads[i % payloads.length]!.update;
    e.data.openedOrders = payloads[i % payloads.length]!.openedOrders;
    return JSON.stringify(e);
  });
  const handoff = new OrderHandoff({ sendBatch: async () => undefined });
  type Counts = { events: number; routed: number; applied: number };
  const step =
    (table: ReturnType<typeof buildTable>, handOrders: boolean) =>
    (frame: string, counts: Counts) => {
      const t = Date.now();
      for (const item of parseFrame(frame)) {
        if (item.kind !== "event") continue;
        counts.events++;
        const r = applyEvent(table, item, t);
        if (r.subscription) counts.routed++;
        if (r.outcome) counts.applied++;
        // As src/live/readings.ts: orders are routed and handed over, nothing else.
        if (handOrders && item.orders && r.subscription)
          handoff.add(r.subscription.accountId, item.orders, t);
      }
      // The monitor sends after each frame (a microtask, I/O off the path); this loop never
      // yields, so the pending batch is taken here and dropped instead of sent.
      if (handOrders) handoff.drain();
    };
  // Alternated, best of three each: A plain events and no trade rules (today's path);
  // B the same events, every account with trade rules; C OrderUpdate traffic with the orders
  // ignored (as before this change); D the same traffic with the orders handed over.
  const runs = {
    A: () => timeLoop(framesOff, LOOP_MS / 3, 300, step(tableOff, false)).rate,
    B: () => timeLoop(framesOff, LOOP_MS / 3, 300, step(tableOn, true)).rate,
    C: () => timeLoop(framesOn, LOOP_MS / 3, 300, step(tableOff, false)).rate,
    D: () => timeLoop(framesOn, LOOP_MS / 3, 300, step(tableOn, true)).rate,
  };
  const got: Record<keyof typeof runs, number[]> = { A: [], B: [], C: [], D: [] };
  for (let round = 0; round < 3; round++) {
    for (const k of ["A", "B", "C", "D"] as const) got[k].push(runs[k]());
  }
  const best = (k: keyof typeof runs) => Math.max(...got[k]);
  report.figure(
    "equity path, trade rules off",
    Math.round(best("A")),
    "events/s",
    `${ACCOUNTS} accounts, plain events`,
  );
  report.figure(
    "equity path, trade rules on",
    Math.round(best("B")),
    "events/s",
    "same events, every account with every trade rule",
  );
  report.figure(
    "equity path on/off (plain events)",
    Math.round((best("B") / best("A")) * 1000) / 1000,
    "ratio",
    "",
    { op: ">=", target: 0.95 },
  );
  report.figure(
    "OrderUpdate traffic, orders ignored",
    Math.round(best("C")),
    "events/s",
    "1 event in 10 an OrderUpdate with 6 orders",
  );
  report.figure(
    "OrderUpdate traffic, orders handed over",
    Math.round(best("D")),
    "events/s",
    "same frames, trade rules on",
  );
  report.figure(
    "OrderUpdate traffic handed/ignored",
    Math.round((best("D") / best("C")) * 1000) / 1000,
    "ratio",
    "",
    { op: ">=", target: 0.95 },
  );
  report.data.equity = got;
});
