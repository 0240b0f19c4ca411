/**
 * `OrderCloseSafe` in the simulator (docs/enforcement.md, "Simulator"): closes a position at
 * market or cancels a pending order of the session's open list (sim/orders.ts), with the
 * bridge's faults scripted per session, and counts what an enforcement test must check: sends
 * per ticket and sends that reached a ticket already closed.
 *
 * MTAPI: `GET /OrderCloseSafe?id={token}&ticket={ticket}` answers `{ticket, closePrice,
 * closeTime, closeLots, profit, state: "Filled" | "Cancelled"}`, or HTTP 201 with `{code,
 * message}`: `INVALID_TOKEN` (unknown session), `INVALID_TICKET` (not open), `MARKET_CLOSED`,
 * `TIMEOUT`, `TRADE_DISABLED` (an investor session cannot trade).
 * Control: `PUT /control/close/{sid}` `{faults?: Fault[], investor?: boolean, delay_ms?:
 * number}` sets the session's script (each send takes the next fault; none left: fill);
 * `GET /control/close/{sid}` answers its counters.
 *
 * Faults: `fill`, `timeout_done` (closes, answers TIMEOUT), `timeout_not_done` (answers
 * TIMEOUT, closes nothing), `market_closed`, `invalid_token`, `hang` (holds the answer
 * `delay_ms`, then closes and answers), `closed_elsewhere` (the trader or a stop-out closed
 * the ticket just before this send arrived: it leaves the open list, the answer is
 * `INVALID_TICKET`).
 *
 * `answers` keeps, per ticket, what each send was answered (`TIMEOUT_DONE` when a timeout
 * closed it); `sends_after_settled` counts sends that arrived after the ticket was closed by
 * OrderCloseSafe or answered `INVALID_TICKET` (a chaos run checks it stays 0);
 * `sends_while_in_flight` those that arrived while an earlier send to the ticket was
 * unanswered (a close slower than the client's timeout).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccountBook } from "./accounts.ts";
import { HttpError, readJson, sendJson } from "./http.ts";
import { brokerTime, type OrderBook } from "./orders.ts";

export const CLOSE_FAULTS = [
  "fill",
  "timeout_done",
  "timeout_not_done",
  "market_closed",
  "invalid_token",
  "hang",
  "closed_elsewhere",
] as const;
export type CloseFault = (typeof CLOSE_FAULTS)[number];

interface SessionClose {
  faults: CloseFault[];
  investor: boolean;
  delay_ms: number;
  /** Sends per ticket (as text keys, JSON-friendly). */
  sends: Record<string, number>;
  /** Sends to a ticket this session had already closed. */
  sends_to_closed: number;
  closed: number[];
  /** Per ticket, the answer to each send in order (`TIMEOUT_DONE`: a timeout that closed it). */
  answers: Record<string, string[]>;
  /**
   * Sends that arrived after the ticket was settled: closed by OrderCloseSafe (a fill, a
   * cancel, a timeout that closed it) or already answered `INVALID_TICKET`. Must stay 0.
   */
  sends_after_settled: number;
  settled: number[];
  /** Sends that arrived while an earlier send to the same ticket was still unanswered. */
  sends_while_in_flight: number;
  in_flight: Record<string, number>;
}

export interface CloseHost {
  book: AccountBook;
  orders: OrderBook;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Announces the close (an `OrderUpdate` with the open list), as the order book does. */
  closed(sessionId: string, order: Record<string, unknown>, pending: boolean): void;
}

/** Every session's close script and counters; emptied by the simulator's reset. */
export class CloseBook {
  private readonly bySession = new Map<string, SessionClose>();

  of(sessionId: string): SessionClose {
    let s = this.bySession.get(sessionId);
    if (s === undefined) {
      s = {
        faults: [],
        investor: false,
        delay_ms: 0,
        sends: {},
        sends_to_closed: 0,
        closed: [],
        answers: {},
        sends_after_settled: 0,
        settled: [],
        sends_while_in_flight: 0,
        in_flight: {},
      };
      this.bySession.set(sessionId, s);
    }
    return s;
  }

  /** True once the session was scripted (`PUT /control/close/{sid}`) or sent a close. */
  has(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  clear(): void {
    this.bySession.clear();
  }
}

const PENDING = /^(buy|sell)(limit|stop|stoplimit)$/i;
const errorBody = (code: string, message: string) => ({ code, message });

/** Answers `OrderCloseSafe` or its control route; false when the path is neither. */
export async function handleOrderClose(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  host: CloseHost,
  closes: CloseBook,
): Promise<boolean> {
  const path = url.pathname.toLowerCase();
  if (path === "/orderclosesafe") {
    await closeSafe(res, url, host, closes);
    return true;
  }
  const m = /^\/control\/close\/([^/]+)$/.exec(url.pathname);
  if (m === null) return false;
  const s = closes.of(decodeURIComponent(m[1]!));
  try {
    if (req.method === "GET") {
      sendJson(res, 200, s);
      return true;
    }
    if (req.method !== "PUT") throw new HttpError(405, "GET or PUT");
    const body = (await readJson(req)) ?? {};
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new HttpError(400, "body must be an object");
    }
    const b = body as Record<string, unknown>;
    if (b.faults !== undefined) {
      if (!Array.isArray(b.faults) || !b.faults.every((f) => CLOSE_FAULTS.includes(f))) {
        throw new HttpError(400, `faults: an array of ${CLOSE_FAULTS.join(", ")}`);
      }
      s.faults = b.faults as CloseFault[];
    }
    if (b.investor !== undefined) {
      s.investor = b.investor === true;
      // The account's AccountSummary says so too (`isInvestor`).
      const account = host.book.get(decodeURIComponent(m[1]!));
      if (account) account.is_investor = s.investor;
    }
    if (b.delay_ms !== undefined) {
      if (typeof b.delay_ms !== "number" || !(b.delay_ms >= 0)) {
        throw new HttpError(400, "delay_ms: a number >= 0");
      }
      s.delay_ms = b.delay_ms;
    }
    sendJson(res, 200, s);
  } catch (err) {
    sendJson(res, err instanceof HttpError ? err.status : 500, {
      error: err instanceof Error ? err.message : String(err),
    });
  }
  return true;
}

async function closeSafe(res: ServerResponse, url: URL, host: CloseHost, closes: CloseBook) {
  const id = url.searchParams.get("id") ?? "";
  const ticketText = url.searchParams.get("ticket") ?? "";
  const ticket = Number(ticketText);
  if (!host.book.get(id)) {
    sendJson(res, 201, errorBody("INVALID_TOKEN", `Client with id ${id.slice(0, 4)}... not found`));
    return;
  }
  if (ticketText === "" || !Number.isInteger(ticket)) {
    sendJson(res, 201, errorBody("NULL_ARGUMENT", "ticket is required"));
    return;
  }
  const s = closes.of(id);
  s.sends[ticket] = (s.sends[ticket] ?? 0) + 1;
  if (s.closed.includes(ticket)) s.sends_to_closed += 1;
  if (s.settled.includes(ticket)) s.sends_after_settled += 1;
  if ((s.in_flight[ticket] ?? 0) > 0) s.sends_while_in_flight += 1;
  s.in_flight[ticket] = (s.in_flight[ticket] ?? 0) + 1;
  const noted = (s.answers[ticket] ??= []);
  const answered = () => {
    s.in_flight[ticket] = (s.in_flight[ticket] ?? 1) - 1;
  };
  const answerWith = (status: number, body: { code: string; message: string }, note?: string) => {
    answered();
    noted.push(note ?? body.code);
    if (body.code === "INVALID_TICKET" && !s.settled.includes(ticket)) s.settled.push(ticket);
    sendJson(res, status, body);
  };
  if (s.investor || host.book.get(id)?.is_investor === true) {
    answerWith(201, errorBody("TRADE_DISABLED", "Investor session cannot trade"));
    return;
  }
  const book = host.orders.of(id);
  const indexOf = () =>
    book.opened.findIndex(
      (o) => typeof o === "object" && o !== null && (o as { ticket?: unknown }).ticket === ticket,
    );
  if (indexOf() < 0) {
    answerWith(201, errorBody("INVALID_TICKET", `Ticket ${ticket} not found`));
    return;
  }
  const fault = s.faults.shift() ?? "fill";
  const close = (): Record<string, unknown> | null => {
    const at = indexOf();
    if (at < 0) return null;
    const current = book.opened[at] as Record<string, unknown>;
    book.opened.splice(at, 1);
    const pending = PENDING.test(String(current.orderType ?? ""));
    const closed = {
      ...current,
      closeTime: brokerTime(host.now()),
      closePrice: typeof current.openPrice === "number" ? current.openPrice : 0,
      profit: pending ? 0 : typeof current.profit === "number" ? current.profit : 0,
    };
    if (!pending) book.history.push(closed);
    s.closed.push(ticket);
    if (!s.settled.includes(ticket)) s.settled.push(ticket);
    host.closed(id, closed, pending);
    return {
      ticket,
      closePrice: closed.closePrice,
      closeTime: closed.closeTime,
      closeLots: current.lots ?? 0,
      profit: closed.profit,
      state: pending ? "Cancelled" : "Filled",
    };
  };
  switch (fault) {
    case "market_closed":
      answerWith(201, errorBody("MARKET_CLOSED", "Market is closed"));
      return;
    case "invalid_token":
      answerWith(201, errorBody("INVALID_TOKEN", `Client with id ${id.slice(0, 4)}... not found`));
      return;
    case "timeout_not_done":
      answerWith(201, errorBody("TIMEOUT", "Trade timeout"));
      return;
    case "timeout_done":
      close();
      answerWith(201, errorBody("TIMEOUT", "Trade timeout"), "TIMEOUT_DONE");
      return;
    case "closed_elsewhere": {
      // Gone before the send arrived (not by OrderCloseSafe: not in `closed`).
      const at = indexOf();
      const gone = book.opened.splice(at, 1)[0] as Record<string, unknown>;
      const pending = PENDING.test(String(gone.orderType ?? ""));
      const closed = { ...gone, closeTime: brokerTime(host.now()) };
      if (!pending) book.history.push(closed);
      host.closed(id, closed, pending);
      answerWith(201, errorBody("INVALID_TICKET", `Ticket ${ticket} not found`));
      return;
    }
    default: {
      // `hang` and a configured delay hold the answer; the ticket may close meanwhile.
      if (fault === "hang" || s.delay_ms > 0) await host.sleep(s.delay_ms);
      const answer = close();
      if (answer === null)
        answerWith(201, errorBody("INVALID_TICKET", `Ticket ${ticket} not found`));
      else {
        answered();
        noted.push(String(answer.state).toUpperCase());
        sendJson(res, 200, answer);
      }
    }
  }
}
