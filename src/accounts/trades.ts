/**
 * SQL of trades (docs/trades.md, "Ingest"): a batch of observed orders upserted once per
 * (account, ticket, open time), a close kept final and the first stop-loss sighting kept;
 * vanished positions marked; bad-input counters and the history cursor in `trade_sync`; and
 * what a judgement of an account's trades reads.
 */
import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { recordAlerts, sendAlerts, type Recorded } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import {
  accountAudit,
  accounts,
  calendarEvents,
  calendarSymbols,
  tradeSync,
  trades,
  violations,
  type AccountRow,
  type TradeRow,
} from "../db/schema.ts";
import { accountRef } from "../domain/alert-events.ts";
import { auditValues, systemActor } from "../domain/audit.ts";
import type { TradeJson } from "../domain/evidence.ts";
import type { OrderBatch } from "../domain/trades/batch.ts";
import type { ReadingSource, RuleParams } from "../risk/index.ts";
import {
  compileRules,
  objectivesMetByTrades,
  objectivesOf,
  tradeDayLabels,
  tradeDaysIn,
} from "../risk/index.ts";
import { proposeBalanceOperations } from "./adjustment-proposals.ts";
import {
  TRADE_RULE_NAMES,
  tradeKey,
  violationKey,
  type CalendarEvent,
  type TradeRuleName,
  type TradeView,
} from "../risk/trade-rules/index.ts";

/** How far back closed trades are judged again (the recorded set keeps it idempotent). */
export const JUDGE_CLOSED_DAYS = 14;
const DAY_MS = 86_400_000;

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** What one batch changed. */
export interface IngestResult {
  upserted: number;
  vanished: number;
  /** Balance operations newly offered as adjustments. */
  proposed: number;
  /** This ingest met every objective (`objectives_met_at` set now). */
  objectivesMet: boolean;
}

/**
 * Writes a batch in one transaction: upserts, vanished marks, counters, and (for history) the
 * cursor `historyTo`.
 */
export async function ingestBatch(
  db: Db,
  accountId: number,
  batch: OrderBatch,
  historyTo?: Date,
  extra: IngestExtra = {},
): Promise<IngestResult> {
  const result = await db.transaction(async (tx) => {
    const upserted = await upsertTrades(tx, accountId, batch);
    const vanished = batch.openKeys === null ? 0 : await markVanished(tx, accountId, batch);
    await bumpSync(tx, accountId, batch.counts, historyTo, extra.tradeDays ?? []);
    let proposed = 0;
    if (extra.proposeSinceMs !== undefined) {
      const ops = batch.upserts
        .filter((u) => u.kind === "balance" && u.openMs >= extra.proposeSinceMs!)
        .map((u) => ({
          ticket: u.ticket,
          atMs: u.openMs,
          orderType: u.orderType,
          amount: u.profit,
        }));
      proposed = await proposeBalanceOperations(tx, accountId, ops, extra.source ?? "poll");
    }
    const met =
      extra.objectivesAtMs === undefined
        ? null
        : await meetObjectivesByTrades(tx, accountId, extra.objectivesAtMs, extra.source ?? "poll");
    return { upserted, vanished, proposed, met };
  });
  if (result.met !== null) await sendAlerts(result.met);
  return {
    upserted: result.upserted,
    vanished: result.vanished,
    proposed: result.proposed,
    objectivesMet: result.met !== null,
  };
}

/**
 * True when the objectives of rules like these are judged at the ingest of trades: a minimum
 * of trading days on an account whose trades are read (docs/trades.md, "Trading days").
 */
export function judgesObjectivesOnIngest(rules: RuleParams): boolean {
  return compileRules(rules).objectives?.daysFromTrades ?? false;
}

/**
 * The same judgement outside an ingest (the cron's timer pass over live accounts, whose
 * equity may reach a target between order events); true when it met the objectives now.
 */
export async function meetObjectivesFromTrades(
  db: Db,
  accountId: number,
  atMs: number,
  source: ReadingSource,
): Promise<boolean> {
  const met = await db.transaction((tx) => meetObjectivesByTrades(tx, accountId, atMs, source));
  if (met !== null) await sendAlerts(met);
  return met !== null;
}

/**
 * Within an ingest's transaction: when the account (active, not yet met) meets every
 * objective with the trading days counted from its trades (`objectivesMetByTrades`, on its
 * stored figures), records `objectives_met_at` at `atMs`, its audit row and the
 * `account.objectives_met` alert, once: the account row is locked, and the update lands only
 * while `objectives_met_at` is still null. Returns the alerts to send, or null.
 */
async function meetObjectivesByTrades(
  tx: Tx,
  accountId: number,
  atMs: number,
  source: ReadingSource,
): Promise<Recorded | null> {
  const [row] = await tx
    .select({
      id: accounts.id,
      login: accounts.login,
      server: accounts.server,
      label: accounts.label,
      rules: accounts.rules,
      riskState: accounts.riskState,
      status: accounts.status,
      resetEpoch: accounts.resetEpoch,
      metAt: accounts.objectivesMetAt,
      tradeDays: tradeSync.tradeDays,
    })
    .from(accounts)
    .leftJoin(tradeSync, eq(tradeSync.accountId, accounts.id))
    .where(eq(accounts.id, accountId))
    .for("update", { of: accounts });
  if (row === undefined || row.status !== "active" || row.metAt !== null) return null;
  const days = tradeDaysIn(row.tradeDays ?? [], row.resetEpoch);
  if (!objectivesMetByTrades(row.rules, row.riskState, days)) return null;
  const at = new Date(atMs);
  const marked = await tx
    .update(accounts)
    .set({ objectivesMetAt: at })
    .where(
      and(
        eq(accounts.id, accountId),
        isNull(accounts.objectivesMetAt),
        eq(accounts.status, "active"),
      ),
    )
    .returning({ id: accounts.id });
  if (marked.length === 0) return null;
  await tx.insert(accountAudit).values(
    auditValues({
      action: "account.objectives_met",
      actor: systemActor(source),
      accountId,
      reason: "every objective met (trading days counted from trades)",
      source,
      field: "objectives",
      from: null,
      to: "met",
      at,
    }),
  );
  const progress = objectivesOf(row.rules, row.riskState!, days);
  return recordAlerts(tx, [
    {
      type: "account.objectives_met",
      data: {
        account: accountRef(row),
        objectives: progress === null ? null : { ...progress, met_at: at.toISOString() },
      },
    },
  ]);
}

/** What an ingest adds beside the trades themselves. */
export interface IngestExtra {
  /**
   * Balance operations booked at or after this instant (the account's creation: earlier ones
   * made its initial balance) are offered as adjustments (docs/trades.md, "Balance
   * operations"); undefined offers none.
   */
  proposeSinceMs?: number;
  source?: ReadingSource;
  /** Trading-day labels of the batch's positions (`tradeDayLabels`), added to `trade_sync`. */
  tradeDays?: readonly string[];
  /**
   * Judge the objectives with the trading days counted from trades after this batch, meeting
   * them at this instant (`judgesObjectivesOnIngest` rules only); undefined judges nothing.
   */
  objectivesAtMs?: number;
}

/**
 * The trading-day labels of a batch's positions (opened, and closed when closed), in the
 * firm's trading-day zone of `rules` (docs/trades.md, "Trading days").
 */
export function batchTradeDays(
  batch: OrderBatch,
  rules: Pick<RuleParams, "daily_reset">,
  resetEpoch: number,
): string[] {
  const instants: number[] = [];
  for (const u of batch.upserts) {
    if (u.kind !== "position") continue;
    instants.push(u.openMs);
    if (u.state === "closed" && u.closeMs !== null) instants.push(u.closeMs);
  }
  return tradeDayLabels(instants, rules, resetEpoch);
}

/** The trading-day labels stored for each account, by id (none read yet: absent). */
export async function storedTradeDays(
  db: Db,
  accountIds: readonly number[],
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (accountIds.length === 0) return out;
  const rows = await db
    .select({ accountId: tradeSync.accountId, tradeDays: tradeSync.tradeDays })
    .from(tradeSync)
    .where(inArray(tradeSync.accountId, [...accountIds]));
  for (const r of rows) if (r.tradeDays.length > 0) out.set(r.accountId, r.tradeDays);
  return out;
}

async function upsertTrades(tx: Tx, accountId: number, batch: OrderBatch): Promise<number> {
  if (batch.upserts.length === 0) return 0;
  const rows = batch.upserts.map((u) => ({
    ticket: u.ticket,
    symbol: u.symbol,
    order_type: u.orderType,
    kind: u.kind,
    state: u.state,
    lots: u.lots,
    open_time: new Date(u.openMs).toISOString(),
    open_price: u.openPrice,
    close_time: u.closeMs === null ? null : new Date(u.closeMs).toISOString(),
    close_price: u.closePrice,
    stop_loss: u.stopLoss,
    take_profit: u.takeProfit,
    profit: u.profit,
    swap: u.swap,
    commission: u.commission,
    stop_loss_seen_at: u.stopLossSeenMs === null ? null : new Date(u.stopLossSeenMs).toISOString(),
    source: u.source,
  }));
  // A closed row is final: an open sighting (a late event, a stale open list) never reopens
  // it; a closed sighting always lands. The first stop-loss sighting is kept.
  const result = await tx.execute(sql`
    insert into ${trades} (account_id, ticket, symbol, order_type, kind, state, lots, open_time,
      open_price, close_time, close_price, stop_loss, take_profit, profit, swap, commission,
      stop_loss_seen_at, source)
    select ${accountId}, r.ticket, r.symbol, r.order_type, r.kind, r.state, r.lots, r.open_time,
      r.open_price, r.close_time, r.close_price, r.stop_loss, r.take_profit, r.profit, r.swap,
      r.commission, r.stop_loss_seen_at, r.source
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
      ticket bigint, symbol text, order_type text, kind text, state text, lots float8,
      open_time timestamptz, open_price float8, close_time timestamptz, close_price float8,
      stop_loss float8, take_profit float8, profit float8, swap float8, commission float8,
      stop_loss_seen_at timestamptz, source text)
    on conflict (account_id, ticket, open_time) do update set
      symbol = excluded.symbol, order_type = excluded.order_type, kind = excluded.kind,
      state = excluded.state, lots = excluded.lots, open_price = excluded.open_price,
      close_time = excluded.close_time, close_price = excluded.close_price,
      stop_loss = excluded.stop_loss, take_profit = excluded.take_profit,
      profit = excluded.profit, swap = excluded.swap, commission = excluded.commission,
      stop_loss_seen_at = coalesce(${trades.stopLossSeenAt}, excluded.stop_loss_seen_at),
      source = excluded.source, updated_at = now()
    where ${trades.state} <> 'closed' or excluded.state = 'closed'`);
  return result.rowCount ?? 0;
}

/** Open rows missing from a complete open list (and not closed by this batch) have vanished. */
async function markVanished(tx: Tx, accountId: number, batch: OrderBatch): Promise<number> {
  const present = [
    ...batch.openKeys!,
    ...batch.upserts
      .filter((u) => u.state === "closed")
      .map((u) => ({ ticket: u.ticket, openMs: u.openMs })),
  ].map((k) => ({ ticket: k.ticket, open_time: new Date(k.openMs).toISOString() }));
  const result = await tx.execute(sql`
    update ${trades} t set state = 'vanished', updated_at = now()
    where t.account_id = ${accountId} and t.state = 'open'
      and not exists (
        select 1 from jsonb_to_recordset(${JSON.stringify(present)}::jsonb)
          as k(ticket bigint, open_time timestamptz)
        where k.ticket = t.ticket and k.open_time = t.open_time)`);
  return result.rowCount ?? 0;
}

async function bumpSync(
  tx: Tx,
  accountId: number,
  counts: OrderBatch["counts"],
  historyTo: Date | undefined,
  tradeDays: readonly string[],
): Promise<void> {
  const hasCounts = Object.keys(counts).length > 0;
  if (!hasCounts && historyTo === undefined && tradeDays.length === 0) return;
  await tx.execute(sql`
    insert into ${tradeSync} (account_id, history_to, counts, trade_days)
    values (${accountId}, ${historyTo?.toISOString() ?? null}, ${JSON.stringify(counts)}::jsonb,
      ${JSON.stringify(tradeDays)}::jsonb)
    on conflict (account_id) do update set
      history_to = greatest(${tradeSync.historyTo}, excluded.history_to),
      trade_days = (
        select coalesce(jsonb_agg(d order by d), '[]'::jsonb)
        from (select distinct jsonb_array_elements_text(${tradeSync.tradeDays} || excluded.trade_days) as d) days),
      counts = (
        select coalesce(jsonb_object_agg(k, coalesce((${tradeSync.counts}->>k)::int, 0)
          + coalesce((excluded.counts->>k)::int, 0)), '{}'::jsonb)
        from (select jsonb_object_keys(${tradeSync.counts} || excluded.counts) as k) keys),
      updated_at = now()`);
}

/** Where order history should be read from next, or null before any read. */
export async function historyCursor(db: Db, accountId: number): Promise<Date | null> {
  const rows = await db
    .select({ to: tradeSync.historyTo })
    .from(tradeSync)
    .where(eq(tradeSync.accountId, accountId));
  return rows[0]?.to ?? null;
}

/** A stored trade as the API shows it. */
export function presentTrade(row: TradeRow): TradeJson {
  return {
    ticket: Number(row.ticket),
    symbol: row.symbol,
    side: row.orderType,
    kind: row.kind,
    state: row.state,
    lots: row.lots,
    open_time: row.openTime.toISOString(),
    open_price: row.openPrice,
    close_time: row.closeTime?.toISOString() ?? null,
    close_price: row.closePrice,
    stop_loss: row.stopLoss,
    take_profit: row.takeProfit,
    profit: row.profit,
    swap: row.swap,
    commission: row.commission,
  };
}

/** A stored trade as the rules read it; vanished ones and balance operations are left out. */
export function tradeView(row: TradeRow): TradeView | null {
  if (row.state === "vanished" || row.kind === "balance") return null;
  return {
    ticket: Number(row.ticket),
    symbol: row.symbol,
    kind: row.kind,
    lots: row.lots,
    openMs: row.openTime.getTime(),
    closeMs: row.closeTime?.getTime() ?? null,
    stopLoss: row.stopLoss,
    profit: row.profit,
    swap: row.swap,
    commission: row.commission,
    stopLossSeenMs: row.stopLossSeenAt?.getTime() ?? null,
  };
}

/** What a judgement of one account's trades reads. */
export interface JudgementInputs {
  rows: TradeRow[];
  views: TradeView[];
  lastOpenMs: number | null;
  recorded: Set<string>;
  counts: Partial<Record<TradeRuleName, number>>;
  calendar: CalendarEvent[];
  symbols: Map<string, string[]>;
}

/**
 * The account's open trades and those closed in the last {@link JUDGE_CLOSED_DAYS} days, its
 * latest opening, the trade-rule violations already recorded (keys and counts per rule), and
 * the calendar around those trades.
 */
export async function judgementInputs(
  db: Db,
  accountId: number,
  nowMs: number,
  withCalendar: boolean,
  resetEpoch: number,
): Promise<JudgementInputs> {
  const since = new Date(nowMs - JUDGE_CLOSED_DAYS * DAY_MS);
  const rows = await db
    .select()
    .from(trades)
    .where(
      and(
        eq(trades.accountId, accountId),
        or(
          eq(trades.state, "open"),
          and(isNotNull(trades.closeTime), gte(trades.closeTime, since)),
        ),
      ),
    )
    .orderBy(trades.openTime, trades.id)
    .limit(5000);
  const last = await db
    .select({ at: trades.openTime })
    .from(trades)
    .where(and(eq(trades.accountId, accountId), eq(trades.kind, "position")))
    .orderBy(desc(trades.openTime))
    .limit(1);
  const past = await db
    .select({ rule: violations.rule, period: violations.period, epoch: violations.resetEpoch })
    .from(violations)
    .where(
      and(eq(violations.accountId, accountId), inArray(violations.rule, [...TRADE_RULE_NAMES])),
    );
  const counts: Partial<Record<TradeRuleName, number>> = {};
  // Escalation counts since the last reset (the current epoch); what is recorded in any epoch
  // is never recorded again.
  for (const p of past) {
    if (p.epoch !== resetEpoch) continue;
    counts[p.rule as TradeRuleName] = (counts[p.rule as TradeRuleName] ?? 0) + 1;
  }
  let calendar: CalendarEvent[] = [];
  let symbols = new Map<string, string[]>();
  if (withCalendar && rows.length > 0) {
    const from = new Date(Math.min(...rows.map((r) => r.openTime.getTime())) - 3 * 3_600_000);
    const events = await db
      .select()
      .from(calendarEvents)
      .where(
        and(gte(calendarEvents.at, from), lt(calendarEvents.at, new Date(nowMs + 3 * 3_600_000))),
      );
    calendar = events.map((e) => ({
      atMs: e.at.getTime(),
      currency: e.currency,
      impact: e.impact,
      title: e.title,
    }));
    const mapped = await db.select().from(calendarSymbols);
    symbols = new Map(
      mapped.map((m) => [m.symbol.toUpperCase(), m.currencies.map((c) => c.toUpperCase())]),
    );
  }
  return {
    rows,
    views: rows.map(tradeView).filter((v): v is TradeView => v !== null),
    lastOpenMs: last[0]?.at.getTime() ?? null,
    recorded: new Set(past.map((p) => violationKey(p.rule, p.period))),
    counts,
    calendar,
    symbols,
  };
}

/** Filters of `GET /v1/accounts/{id}/trades`. */
export interface TradeFilter {
  accountId: number;
  state?: TradeRow["state"] | undefined;
  /** Opened at or after. */
  since?: Date | undefined;
  beforeId?: number | undefined;
  limit: number;
}

/** Up to `limit + 1` trades, newest first (by id). */
export async function listTrades(db: Db, f: TradeFilter): Promise<TradeRow[]> {
  const where = [eq(trades.accountId, f.accountId)];
  if (f.state) where.push(eq(trades.state, f.state));
  if (f.since) where.push(gte(trades.openTime, f.since));
  if (f.beforeId !== undefined) where.push(lt(trades.id, f.beforeId));
  return db
    .select()
    .from(trades)
    .where(and(...where))
    .orderBy(desc(trades.id))
    .limit(f.limit + 1);
}

/**
 * The ids of the violations each trade caused, by trade row id: those of the account naming
 * its ticket whose period is the trade's key (a reused ticket's violations stay with their trade).
 */
export async function violationsOfTrades(
  db: Db,
  accountId: number,
  rows: readonly TradeRow[],
): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (rows.length === 0) return out;
  const tickets = [...new Set(rows.map((r) => Number(r.ticket)))];
  const found = await db
    .select({ id: violations.id, ticket: violations.ticket, period: violations.period })
    .from(violations)
    .where(and(eq(violations.accountId, accountId), inArray(violations.ticket, tickets)))
    .orderBy(violations.id);
  for (const r of rows) {
    const key = tradeKey({ ticket: Number(r.ticket), openMs: r.openTime.getTime() });
    out.set(
      r.id,
      found.filter((v) => v.period === key || v.period.startsWith(`${key}/`)).map((v) => v.id),
    );
  }
  return out;
}

/** Live accounts with trade rules (the cron judges their time-based rules), up to `limit`. */
export async function liveAccountsWithTradeRules(db: Db, limit = 1000) {
  return db
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.status, "active"),
        eq(accounts.monitoringState, "live"),
        sql`${accounts.rules} ? 'trade_rules'`,
      ),
    )
    .orderBy(accounts.id)
    .limit(limit);
}

/**
 * Rows whose objectives count trading days from trades (docs/trades.md, "Trading days"): for
 * accounts whose trades are read (`judgesObjectivesOnIngest`), `metrics.objectives` is
 * recomputed with the days on which a position opened or closed (in the current reset epoch)
 * instead of the days the balance changed, and `met_at` is the account's
 * `objectives_met_at`. One query for the whole page; other rows are as they were.
 */
export async function withTradeDays<T extends AccountRow>(
  db: Db,
  rows: readonly T[],
): Promise<T[]> {
  const wanted = rows.filter(
    (r) => judgesObjectivesOnIngest(r.rules) && r.riskState !== null && r.metrics,
  );
  if (wanted.length === 0) return [...rows];
  const days = await storedTradeDays(
    db,
    wanted.map((r) => r.id),
  );
  return rows.map((r) => {
    // Before any trading day is stored, none is counted (a balance change is none).
    const labels = days.get(r.id) ?? [];
    if (!r.metrics || r.riskState === null || !judgesObjectivesOnIngest(r.rules)) return r;
    const objectives = objectivesOf(r.rules, r.riskState, tradeDaysIn(labels, r.resetEpoch));
    if (objectives === null) return r;
    // The moment is the account's, set at an ingest (the engine's state never holds it).
    objectives.met_at = r.objectivesMetAt?.toISOString() ?? null;
    return { ...r, metrics: { ...r.metrics, objectives } };
  });
}
