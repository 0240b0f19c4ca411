/**
 * MTAPI orders (docs/trades.md, "Ingest"): one order object of `OpenedOrders`, `OrderHistory`
 * or an `OrderUpdate` event, parsed liberally (any spelling, numbers as strings, times with or
 * without a zone) into an {@link OrderRecord}, or a named reason it cannot be used. Never throws.
 */
import { INVALID, isRecord, pickNumber, pickString, spellings } from "../wire-fields.ts";
import { orderTimeMs } from "./broker-time.ts";

/** What a row of `trades` is. */
export const TRADE_KINDS = ["position", "pending", "balance"] as const;
export type TradeKind = (typeof TRADE_KINDS)[number];
/** Where a trade stands: `vanished` left the open list with no close seen yet. */
export const TRADE_STATES = ["open", "closed", "vanished"] as const;
export type TradeState = (typeof TRADE_STATES)[number];

/** One order as stored: times epoch ms UTC, money in account currency. */
export interface OrderRecord {
  ticket: number;
  symbol: string;
  orderType: string;
  kind: TradeKind;
  lots: number;
  openMs: number;
  openPrice: number | null;
  closeMs: number | null;
  closePrice: number | null;
  stopLoss: number;
  takeProfit: number;
  profit: number;
  swap: number;
  commission: number;
}

/** Why an order was set aside (counted per account, never fatal). */
export type OrderReject =
  "not_an_object" | "no_ticket" | "no_symbol" | "no_open_time" | "bad_number" | "unknown_type";

export type OrderParse = { ok: true; order: OrderRecord } | { ok: false; reason: OrderReject };

const F = {
  ticket: spellings("ticket"),
  symbol: spellings("symbol"),
  orderType: [...spellings("orderType"), "type", "Type"],
  lots: [...spellings("lots"), "volume", "Volume"],
  openTime: spellings("openTime"),
  openPrice: spellings("openPrice"),
  closeTime: spellings("closeTime"),
  closePrice: spellings("closePrice"),
  stopLoss: [...spellings("stopLoss"), "sl", "SL"],
  takeProfit: [...spellings("takeProfit"), "tp", "TP"],
  profit: spellings("profit"),
  swap: spellings("swap"),
  commission: spellings("commission"),
};

const POSITION_TYPES = new Set(["buy", "sell"]);
const PENDING_TYPES = new Set([
  "buylimit",
  "selllimit",
  "buystop",
  "sellstop",
  "buystoplimit",
  "sellstoplimit",
]);
const BALANCE_TYPES = new Set(["balance", "credit"]);

function kindOf(orderType: string): TradeKind | null {
  const t = orderType.replace(/[^a-z]/gi, "").toLowerCase();
  if (POSITION_TYPES.has(t)) return "position";
  if (PENDING_TYPES.has(t)) return "pending";
  if (BALANCE_TYPES.has(t)) return "balance";
  return null;
}

function rawOf(obj: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) if (obj[n] !== undefined && obj[n] !== null) return obj[n];
  return undefined;
}

/**
 * Parses one order; `offsetMinutes` is the server's clock minus UTC (broker-time.ts). A
 * ticket must be a positive whole number; a position or pending order needs a symbol; a
 * balance operation may have none.
 */
export function parseOrder(raw: unknown, offsetMinutes: number): OrderParse {
  if (!isRecord(raw)) return { ok: false, reason: "not_an_object" };
  const ticket = pickNumber(raw, F.ticket);
  if (ticket === undefined || ticket === INVALID || !Number.isSafeInteger(ticket) || ticket <= 0) {
    return { ok: false, reason: "no_ticket" };
  }
  const orderType = pickString(raw, F.orderType) ?? "";
  const kind = kindOf(orderType);
  if (kind === null) return { ok: false, reason: "unknown_type" };
  const symbol = (pickString(raw, F.symbol) ?? "").trim();
  if (symbol === "" && kind !== "balance") return { ok: false, reason: "no_symbol" };
  const openMs = orderTimeMs(rawOf(raw, F.openTime), offsetMinutes);
  if (openMs === null) return { ok: false, reason: "no_open_time" };
  const closeMs = orderTimeMs(rawOf(raw, F.closeTime), offsetMinutes);
  const nums: Record<string, number | null> = {};
  for (const key of [
    "lots",
    "openPrice",
    "closePrice",
    "stopLoss",
    "takeProfit",
    "profit",
    "swap",
    "commission",
  ] as const) {
    const v = pickNumber(raw, F[key]);
    if (v === INVALID) return { ok: false, reason: "bad_number" };
    nums[key] = v ?? null;
  }
  return {
    ok: true,
    order: {
      ticket,
      symbol,
      orderType,
      kind,
      lots: nums.lots ?? 0,
      openMs,
      openPrice: nums.openPrice ?? null,
      closeMs: closeMs !== null && closeMs >= openMs ? closeMs : null,
      closePrice: nums.closePrice ?? null,
      stopLoss: nums.stopLoss ?? 0,
      takeProfit: nums.takeProfit ?? 0,
      profit: nums.profit ?? 0,
      swap: nums.swap ?? 0,
      commission: nums.commission ?? 0,
    },
  };
}
