/**
 * A batch of observed orders for one account (docs/trades.md, "Ingest"): orders from an
 * event, `OpenedOrders` or `OrderHistory`, parsed, counted and deduplicated, ready to upsert.
 * Pure: the SQL merge (src/accounts/trades.ts) keeps closed trades closed and the first time
 * a stop loss was seen.
 */
import { parseOrder, type OrderRecord, type OrderReject, type TradeState } from "./orders.ts";

/** Where orders came from. */
export type OrderSource = "event" | "opened" | "history";

/** One order to upsert, with what this observation says about it. */
export interface TradeUpsert extends OrderRecord {
  state: TradeState;
  /** The observation time when it carries a stop loss (the SQL keeps the first). */
  stopLossSeenMs: number | null;
  source: OrderSource;
}

export interface OrderBatch {
  upserts: TradeUpsert[];
  /**
   * When the batch carried the complete open list: the (ticket, open) keys open now. Open rows
   * not among them and not closed in this batch have vanished.
   */
  openKeys: Array<{ ticket: number; openMs: number }> | null;
  /** Bad or odd input by reason (`no_ticket`, `duplicate`, ...). */
  counts: Partial<Record<OrderReject | "duplicate" | "not_a_list" | "no_close_time", number>>;
}

const keyOf = (o: { ticket: number; openMs: number }): string => `${o.ticket}@${o.openMs}`;

/**
 * Builds a batch. `closedOrders` are history: closed trades and balance operations (a trade
 * there without a close time is counted `no_close_time` and skipped: history says nothing
 * about open trades). `openOrders` are open positions and pending orders, and `openComplete`
 * says whether they are the account's complete open list. A ticket seen twice with the same
 * open time is one trade (counted `duplicate` when twice in one list); a close always wins over an open sighting.
 */
export function orderBatch(input: {
  openOrders?: unknown;
  openComplete?: boolean;
  closedOrders?: unknown;
  /** A single order of an `OrderUpdate` (`update.order`) and its update type. */
  update?: { type: string; order: unknown } | null;
  source: OrderSource;
  offsetMinutes: number;
  nowMs: number;
}): OrderBatch {
  const counts: OrderBatch["counts"] = {};
  const bump = (k: keyof OrderBatch["counts"]) => (counts[k] = (counts[k] ?? 0) + 1);
  const byKey = new Map<string, TradeUpsert>();
  // A ticket in both the update and the open list is expected; twice in one list is counted.
  const seenIn = new Map<string, string>();
  const put = (o: OrderRecord, closed: boolean, list: string) => {
    const state: TradeState =
      closed || o.closeMs !== null || o.kind === "balance" ? "closed" : "open";
    const row: TradeUpsert = {
      ...o,
      closeMs: state === "closed" ? (o.closeMs ?? (o.kind === "balance" ? o.openMs : null)) : null,
      state,
      stopLossSeenMs: o.stopLoss !== 0 && state === "open" ? input.nowMs : null,
      source: input.source,
    };
    const key = keyOf(o);
    const seen = byKey.get(key);
    if (seenIn.get(key) === list) bump("duplicate");
    seenIn.set(key, list);
    if (seen !== undefined) {
      // A close is final: an open observation never replaces it.
      if (seen.state === "closed" && row.state !== "closed") return;
    }
    byKey.set(key, row);
  };
  const list = (value: unknown): unknown[] | null => {
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value)) {
      bump("not_a_list");
      return null;
    }
    return value;
  };

  const openKeys: Array<{ ticket: number; openMs: number }> = [];
  const opened = list(input.openOrders);
  for (const raw of opened ?? []) {
    const parsed = parseOrder(raw, input.offsetMinutes);
    if (!parsed.ok) {
      bump(parsed.reason);
      continue;
    }
    openKeys.push({ ticket: parsed.order.ticket, openMs: parsed.order.openMs });
    put(parsed.order, false, "open");
  }
  for (const raw of list(input.closedOrders) ?? []) {
    const parsed = parseOrder(raw, input.offsetMinutes);
    if (!parsed.ok) {
      bump(parsed.reason);
      continue;
    }
    if (parsed.order.closeMs === null && parsed.order.kind !== "balance") {
      bump("no_close_time");
      continue;
    }
    put(parsed.order, true, "closed");
  }
  if (input.update) {
    const parsed = parseOrder(input.update.order, input.offsetMinutes);
    if (!parsed.ok) bump(parsed.reason);
    else {
      const t = input.update.type.toLowerCase();
      put(parsed.order, t === "marketclose" || t === "pendingclose", "update");
    }
  }
  return {
    upserts: [...byKey.values()],
    openKeys: opened !== null && input.openComplete === true ? openKeys : null,
    counts,
  };
}
