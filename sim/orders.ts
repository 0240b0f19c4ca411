/**
 * Orders in the simulator (docs/enforcement.md, "Simulator"; the trades branch documents it in its own doc): each session's open positions and
 * history, kept as given (so tests can send any bad input), answered by the MTAPI order
 * endpoints and announced as `OrderUpdate` events.
 *
 * MTAPI: `GET /OpenedOrders?id=`, `GET /OrderHistory?id=&from=&to=` (`{partialResponse,
 * orders}`; entries whose closeTime is in [from, to], compared as text like the broker's
 * clock; `partial_response` sends only the first half and says so).
 * Control: `PUT /control/orders/{sid}` `{opened?, history?, partial_response?}` replaces;
 * `POST /control/orders/{sid}/open` (an order) opens; `POST /control/orders/{sid}/close`
 * `{ticket, close_time?, close_price?, profit?}` closes; `POST /control/orders/{sid}/modify`
 * `{ticket, stop_loss}`. Open, close and modify publish an `OrderUpdate` with the full
 * `openedOrders` unless `emit: false`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccountBook } from "./accounts.ts";
import { figuresOf } from "./accounts.ts";
import { HttpError, readJson, sendJson } from "./http.ts";
import type { Publisher } from "./publisher.ts";

type Order = Record<string, unknown>;

interface Orders {
  opened: unknown[];
  history: unknown[];
  partial: boolean;
}

export interface OrdersHost {
  book: AccountBook;
  publisher: Publisher;
  now(): number;
}

/** Every session's orders; emptied by the simulator's reset. */
export class OrderBook {
  private readonly bySession = new Map<string, Orders>();

  of(sessionId: string): Orders {
    let o = this.bySession.get(sessionId);
    if (o === undefined) {
      o = { opened: [], history: [], partial: false };
      this.bySession.set(sessionId, o);
    }
    return o;
  }

  clear(): void {
    this.bySession.clear();
  }
}

/** Broker-style time text (no zone) of an instant, UTC. */
export function brokerTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

const isOrder = (v: unknown): v is Order =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function publishUpdate(
  host: OrdersHost,
  sessionId: string,
  opened: readonly unknown[],
  type: string,
  order: unknown,
): number {
  const account = host.book.get(sessionId);
  const figures = account ? figuresOf(account) : null;
  return host.publisher.sendRaw(
    {
      type: "OrderUpdate",
      id: sessionId,
      data: {
        ...(figures
          ? {
              balance: figures.balance,
              equity: figures.equity,
              profit: figures.profit,
              margin: figures.margin,
            }
          : {}),
        update: { type, order },
        openedOrders: opened,
      },
    },
    { sessionId },
  );
}

/** Answers an order route (MTAPI or control); false when the path is not one. */
export async function handleOrders(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  host: OrdersHost,
  orderBook: OrderBook,
): Promise<boolean> {
  const path = url.pathname.toLowerCase();
  if (path === "/openedorders" || path === "/orderhistory") {
    const id = url.searchParams.get("id") ?? "";
    if (!host.book.get(id)) {
      sendJson(res, 201, {
        code: "INVALID_TOKEN",
        message: `Client with id ${id.slice(0, 4)}... not found`,
      });
      return true;
    }
    const o = orderBook.of(id);
    if (path === "/openedorders") {
      sendJson(res, 200, o.opened);
      return true;
    }
    const from = url.searchParams.get("from") ?? "";
    const to = url.searchParams.get("to") ?? "\uffff";
    const inWindow = o.history.filter((h) => {
      const close = isOrder(h) && typeof h.closeTime === "string" ? h.closeTime : "";
      // Entries without a readable close time are sent anyway (bad input is the point).
      return close === "" || (close >= from && close <= to);
    });
    const sent = o.partial ? inWindow.slice(0, Math.ceil(inWindow.length / 2)) : inWindow;
    sendJson(res, 200, { partialResponse: o.partial, orders: sent });
    return true;
  }
  const m = /^\/control\/orders\/([^/]+)(?:\/(open|close|modify))?$/.exec(url.pathname);
  if (m === null) return false;
  try {
    const sessionId = decodeURIComponent(m[1]!);
    const action = m[2];
    const body = (await readJson(req)) ?? {};
    if (!isOrder(body)) throw new HttpError(400, "body must be an object");
    const o = orderBook.of(sessionId);
    const emit = body.emit !== false;
    if (action === undefined) {
      if (req.method !== "PUT") throw new HttpError(405, "PUT only");
      if (body.opened !== undefined) o.opened = Array.isArray(body.opened) ? body.opened : [];
      if (body.history !== undefined) o.history = Array.isArray(body.history) ? body.history : [];
      if (typeof body.partial_response === "boolean") o.partial = body.partial_response;
      sendJson(res, 200, o);
      return true;
    }
    if (req.method !== "POST") throw new HttpError(405, "POST only");
    if (action === "open") {
      const order: Order = {
        openTime: brokerTime(host.now()),
        stopLoss: 0,
        takeProfit: 0,
        profit: 0,
        swap: 0,
        commission: 0,
        ...body,
      };
      delete order.emit;
      o.opened.push(order);
      const sent = emit ? publishUpdate(host, sessionId, o.opened, "MarketOpen", order) : 0;
      sendJson(res, 200, { order, sent });
      return true;
    }
    const at = o.opened.findIndex((x) => isOrder(x) && x.ticket === body.ticket);
    if (at < 0) throw new HttpError(404, `no open ticket ${String(body.ticket)}`);
    const current = o.opened[at] as Order;
    if (action === "modify") {
      current.stopLoss = typeof body.stop_loss === "number" ? body.stop_loss : 0;
      const sent = emit ? publishUpdate(host, sessionId, o.opened, "PositionModify", current) : 0;
      sendJson(res, 200, { order: current, sent });
      return true;
    }
    o.opened.splice(at, 1);
    const closed: Order = {
      ...current,
      closeTime: typeof body.close_time === "string" ? body.close_time : brokerTime(host.now()),
      closePrice:
        typeof body.close_price === "number" ? body.close_price : (current.openPrice ?? 0),
      profit: typeof body.profit === "number" ? body.profit : (current.profit ?? 0),
    };
    o.history.push(closed);
    const sent = emit ? publishUpdate(host, sessionId, o.opened, "MarketClose", closed) : 0;
    sendJson(res, 200, { order: closed, sent });
    return true;
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    return true;
  }
}
