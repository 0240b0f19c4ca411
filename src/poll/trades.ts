/**
 * Trades for a set of accounts (docs/trades.md, "Ingest" and "When rules are judged"): read
 * `OpenedOrders` and `OrderHistory` (incrementally, from the last window read) for polled
 * accounts, ingest order events handed over by the live monitor, and judge the trade rules
 * from what is stored. One account's failure never stops the others; nothing here touches
 * the equity path.
 */
import {
  batchTradeDays,
  historyCursor,
  ingestBatch,
  judgementInputs,
  judgesObjectivesOnIngest,
  meetObjectivesFromTrades,
  presentTrade,
} from "../accounts/trades.ts";
import { recordTradeViolations } from "../accounts/trade-violations.ts";
import type { Db } from "../db/client.ts";
import type { AccountRow } from "../db/schema.ts";
import { orderBatch } from "../domain/trades/batch.ts";
import {
  configuredClock,
  learntClock,
  parseOffsets,
  type BrokerClock,
} from "../domain/trades/broker-time.ts";
import { learntOffsets, rememberOffset } from "../accounts/server-clocks.ts";
import { tradeViolationRows } from "../domain/trades/violation-rows.ts";
import { fetchOpenedOrders, fetchOrderHistory } from "../mtapi/orders.ts";
import type { ReadingSource } from "../risk/index.ts";
import { judgeTrades, tradeKey } from "../risk/trade-rules/index.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { log } from "../util/log.ts";

/** How far before the last window history is read again (late-booked trades). */
export const HISTORY_OVERLAP_MS = 3_600_000;
/** The first history read of an account reaches back this far. */
export const HISTORY_FIRST_DAYS = 30;

/** What a trades pass did. */
export interface TradesReport {
  accounts: number;
  upserted: number;
  vanished: number;
  /** Balance operations newly offered as adjustments. */
  proposed: number;
  violations: number;
  breached: number;
  errors: number;
}

export interface TradesOptions {
  mtapiUrl: string;
  timeoutMs?: number;
  fetcher?: typeof fetch;
  now?: () => number;
  clock?: BrokerClock;
}

/** The broker clock of a deployment (`BROKER_UTC_OFFSETS`). */
export function brokerClockOf(env: { BROKER_UTC_OFFSETS?: string }): BrokerClock {
  const { offsets, errors } = parseOffsets(env.BROKER_UTC_OFFSETS);
  if (errors.length > 0) log("trades:offsets_ignored", { errors });
  return configuredClock(offsets);
}

export function emptyTradesReport(): TradesReport {
  return {
    accounts: 0,
    upserted: 0,
    vanished: 0,
    proposed: 0,
    violations: 0,
    breached: 0,
    errors: 0,
  };
}

/** Accounts whose rules have trade rules. */
export function withTradeRules(rows: readonly AccountRow[]): AccountRow[] {
  return rows.filter((r) => r.rules.trade_rules !== undefined && r.status === "active");
}

/** Broker-time ISO (no zone) of a UTC instant. */
function brokerIso(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
}

/**
 * Reads, stores and judges the trades of polled accounts (those with trade rules), at most
 * 2 accounts at once (two MTAPI calls each, within the invocation's six connections).
 */
export async function pollTrades(
  db: Db,
  rows: readonly AccountRow[],
  opts: TradesOptions,
): Promise<TradesReport> {
  const report = emptyTradesReport();
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const targets = withTradeRules(rows);
  report.accounts = targets.length;
  if (targets.length === 0) return report;
  // The live monitor's learnt offsets first, then the configured ones (docs/trades.md).
  const clock = learntClock(
    await learntOffsets(
      db,
      targets.map((r) => r.server),
    ),
    opts.clock ?? configuredClock({}),
  );
  await mapWithConcurrency(targets, 2, async (row) => {
    try {
      const offset = clock.offsetMinutes(row.server);
      const nowMs = now();
      const cursor = await historyCursor(db, row.id);
      const fromMs = cursor
        ? cursor.getTime() - HISTORY_OVERLAP_MS
        : Math.min(row.createdAt.getTime(), nowMs) - HISTORY_FIRST_DAYS * 86_400_000;
      const [opened, history] = await Promise.all([
        fetchOpenedOrders(opts.mtapiUrl, row.sessionId, timeoutMs, opts.fetcher),
        fetchOrderHistory(
          opts.mtapiUrl,
          row.sessionId,
          brokerIso(fromMs, offset),
          brokerIso(nowMs + 86_400_000, offset),
          timeoutMs,
          opts.fetcher,
        ),
      ]);
      if (!opened.ok || !history.ok) {
        report.errors++;
        log("trades:read_failed", {
          account_id: row.id,
          opened: opened.ok ? "ok" : opened.detail,
          history: history.ok ? "ok" : history.detail,
        });
      }
      const batch = orderBatch({
        openOrders: opened.ok ? opened.orders : undefined,
        openComplete: opened.ok,
        closedOrders: history.ok ? history.orders : undefined,
        source: "history",
        offsetMinutes: offset,
        nowMs,
      });
      // A partial history page moves the cursor only as far as the newest close it holds.
      let historyTo: Date | undefined;
      if (history.ok && !history.partial) historyTo = new Date(nowMs);
      else if (history.ok) {
        const closes = batch.upserts.map((u) => u.closeMs ?? 0).filter((c) => c > 0);
        if (closes.length > 0) historyTo = new Date(Math.max(...closes));
        log("trades:history_partial", { account_id: row.id, orders: batch.upserts.length });
      }
      const ingested = await ingestBatch(db, row.id, batch, historyTo, {
        proposeSinceMs: row.createdAt.getTime(),
        source: "poll",
        tradeDays: batchTradeDays(batch, row.rules, row.resetEpoch),
        ...(judgesObjectivesOnIngest(row.rules) ? { objectivesAtMs: nowMs } : {}),
      });
      if (ingested.objectivesMet) log("objectives:met", { account_id: row.id });
      report.proposed += ingested.proposed;
      report.upserted += ingested.upserted;
      report.vanished += ingested.vanished;
      await judgeInto(db, row, nowMs, "poll", report);
    } catch (err) {
      report.errors++;
      log("trades:account_failed", { account_id: row.id }, err);
    }
  });
  return report;
}

/**
 * An `OrderUpdate` handed over by the live monitor: `update` (one order and its type) and,
 * when present, `openedOrders` (the complete open list). Stored, then judged.
 */
export async function ingestOrderEvent(
  db: Db,
  row: AccountRow,
  event: {
    update?: unknown;
    openedOrders?: unknown;
    receivedAt: number;
    /** The server offset the monitor learnt (minutes), when it has. */
    learntOffsetMinutes?: number;
  },
  opts: { clock?: BrokerClock; now?: () => number },
): Promise<TradesReport> {
  const report = { ...emptyTradesReport(), accounts: 1 };
  // The offset learnt with this event is stored (for the poll path) and used; else the one
  // stored earlier; else the configured one (docs/trades.md, "Broker time").
  const learnt = event.learntOffsetMinutes;
  if (learnt !== undefined) await rememberOffset(db, row.server, learnt);
  const clock = learntClock(
    learnt !== undefined && Number.isInteger(learnt)
      ? { [row.server]: learnt }
      : await learntOffsets(db, [row.server]),
    opts.clock ?? configuredClock({}),
  );
  const update = event.update as { type?: unknown; order?: unknown } | null | undefined;
  const batch = orderBatch({
    openOrders: event.openedOrders,
    openComplete: event.openedOrders !== undefined && event.openedOrders !== null,
    update:
      update && typeof update === "object" && update.order !== undefined
        ? { type: typeof update.type === "string" ? update.type : "", order: update.order }
        : null,
    source: "event",
    offsetMinutes: clock.offsetMinutes(row.server),
    nowMs: event.receivedAt,
  });
  const ingested = await ingestBatch(db, row.id, batch, undefined, {
    proposeSinceMs: row.createdAt.getTime(),
    source: "event",
    tradeDays: batchTradeDays(batch, row.rules, row.resetEpoch),
    ...(judgesObjectivesOnIngest(row.rules) ? { objectivesAtMs: event.receivedAt } : {}),
  });
  if (ingested.objectivesMet) log("objectives:met", { account_id: row.id });
  report.proposed = ingested.proposed;
  report.upserted = ingested.upserted;
  report.vanished = ingested.vanished;
  if (row.rules.trade_rules !== undefined && row.status === "active") {
    await judgeInto(db, row, (opts.now ?? Date.now)(), "event", report);
  }
  return report;
}

/** Judges one account's stored trades now and records what is new. */
export async function judgeInto(
  db: Db,
  row: AccountRow,
  nowMs: number,
  source: ReadingSource,
  report: TradesReport,
): Promise<void> {
  const rules = row.rules.trade_rules;
  if (rules === undefined) return;
  const inputs = await judgementInputs(db, row.id, nowMs, rules.news !== undefined, row.resetEpoch);
  const found = judgeTrades(rules, {
    nowMs,
    initialBalance: row.rules.initial_balance,
    trades: inputs.views,
    calendar: inputs.calendar,
    symbols: inputs.symbols,
    watchedSinceMs: Math.max(inputs.lastOpenMs ?? 0, row.createdAt.getTime()),
    recorded: inputs.recorded,
    counts: inputs.counts,
  });
  if (found.length === 0) return;
  const byKey = new Map(
    inputs.rows.map((r) => [
      tradeKey({ ticket: Number(r.ticket), openMs: r.openTime.getTime() }),
      r,
    ]),
  );
  const account = {
    id: row.id,
    login: row.login,
    server: row.server,
    label: row.label,
    rules: row.rules,
    rulesVersion: row.rulesVersion,
    metrics: row.metrics,
    resetEpoch: row.resetEpoch,
  };
  const rowsToWrite = tradeViolationRows(
    account,
    found,
    (v) => {
      if (v.ticket === null) return null;
      const key = v.period.split("/")[0]!;
      const trade = byKey.get(key);
      return trade ? presentTrade(trade) : null;
    },
    source,
    nowMs,
  );
  const written = await recordTradeViolations(db, account, rowsToWrite, source);
  report.violations += written.recorded.length;
  if (written.breached) report.breached++;
}

/**
 * The timer of the time-based rules (stop-loss grace, weekend cutoff, inactivity): judges
 * every active account with trade rules from its stored trades, no MTAPI call.
 */
export async function judgeStoredTrades(
  db: Db,
  rows: readonly AccountRow[],
  nowMs: number,
): Promise<TradesReport> {
  const report = emptyTradesReport();
  for (const row of withTradeRules(rows)) {
    report.accounts++;
    try {
      const source = row.monitoringState === "live" ? "event" : "poll";
      await judgeInto(db, row, nowMs, source, report);
      // A live account's equity may meet a target between order events (docs/trades.md,
      // "Trading days").
      if (row.objectivesMetAt === null && judgesObjectivesOnIngest(row.rules)) {
        if (await meetObjectivesFromTrades(db, row.id, nowMs, source))
          log("objectives:met", { account_id: row.id });
      }
    } catch (err) {
      report.errors++;
      log("trades:judge_failed", { account_id: row.id }, err);
    }
  }
  return report;
}
