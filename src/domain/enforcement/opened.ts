/**
 * An `OpenedOrders` list as an enforcement action plans and settles from it
 * (docs/enforcement.md, "Exactly once"): each entry parsed by the trades parser
 * (src/domain/trades/orders.ts). An entry that parser sets aside for anything but its ticket
 * (no open time, an unknown type, no symbol) is still a ticket that is open: it is kept, with
 * what could be read of it, so that it is closed too. An entry without a usable ticket makes
 * the whole list unusable: nothing is planned or settled from a list that cannot be read whole.
 */
import { INVALID, isRecord, pickNumber, pickString, spellings } from "../wire-fields.ts";
import { parseOrder } from "../trades/orders.ts";
import type { OpenOrder } from "./action.ts";

const TICKET = spellings("ticket");
const SYMBOL = spellings("symbol");
const TYPE = [...spellings("orderType"), "type", "Type"];

/** One entry; null when it has no usable ticket. */
export function openOrderOf(raw: unknown): OpenOrder | null {
  const parsed = parseOrder(raw, 0);
  if (parsed.ok) {
    const o = parsed.order;
    return {
      ticket: o.ticket,
      symbol: o.symbol,
      orderType: o.orderType,
      lots: o.lots,
      openPrice: o.openPrice ?? 0,
      profit: o.profit,
    };
  }
  if (!isRecord(raw)) return null;
  const ticket = pickNumber(raw, TICKET);
  if (ticket === undefined || ticket === INVALID || !Number.isSafeInteger(ticket) || ticket <= 0)
    return null;
  const number = (name: string) => {
    const v = pickNumber(raw, spellings(name));
    return typeof v === "number" ? v : 0;
  };
  return {
    ticket,
    symbol: pickString(raw, SYMBOL) ?? "",
    orderType: pickString(raw, TYPE) ?? "",
    lots: number("lots"),
    openPrice: number("openPrice"),
    profit: number("profit"),
  };
}

/** The whole list, or null when it is not a list or an entry has no usable ticket. */
export function openOrdersOf(body: unknown): OpenOrder[] | null {
  if (!Array.isArray(body)) return null;
  const out: OpenOrder[] = [];
  for (const raw of body) {
    const o = openOrderOf(raw);
    if (o === null) return null;
    out.push(o);
  }
  return out;
}
