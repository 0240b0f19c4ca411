/**
 * MTAPI REST: `GET /AccountSummary?id={session_id}` from the account book, in camelCase or
 * PascalCase, with numbers or numeric strings; expired or unknown sessions answer an error
 * status with an error body (docs/wire-contract.md, "MTAPI REST").
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { figuresOf, type AccountBook, type SimAccount } from "./accounts.ts";
import { sendJson, sendText } from "./http.ts";
import type { RestState } from "./state.ts";

export interface MtapiHost {
  book: AccountBook;
  rest: RestState;
  sleep(ms: number): Promise<void>;
  /** Called after each answered AccountSummary. */
  onRead(sessionId: string): void;
  /** Fields added to an AccountSummary answer (`isInvestor` from sim/order-close.ts). */
  summaryExtra?(sessionId: string): Record<string, unknown>;
}

/** Status for a session the book does not know. */
const UNKNOWN_STATUS = 400;
const INVALID_SESSION = { message: "Invalid session id" };

/** The AccountSummary body of an account, honouring its `pascal` and `string_numbers`. */
export function accountSummary(a: SimAccount): Record<string, string | number> {
  const f = figuresOf(a);
  const money = (n: number): string | number => (a.string_numbers ? n.toFixed(2) : n);
  const camel: Record<string, string | number> = {
    balance: money(f.balance),
    credit: money(f.credit),
    profit: money(f.profit),
    equity: money(f.equity),
    margin: money(f.margin),
    freeMargin: money(f.freeMargin),
    marginLevel: money(f.marginLevel),
    leverage: a.string_numbers ? String(a.leverage) : a.leverage,
    currency: a.currency,
    method: "Hedging",
    type: /demo|sim/i.test(a.server) ? "Demo" : "Real",
  };
  if (!a.pascal) return camel;
  return Object.fromEntries(
    Object.entries(camel).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]),
  );
}

/** Answers an MTAPI request; false when the path is not an MTAPI route. */
export async function handleMtapi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  host: MtapiHost,
): Promise<boolean> {
  if (url.pathname.toLowerCase() !== "/accountsummary") return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(res, 405, { message: "Method not allowed" });
    return true;
  }
  const id = url.searchParams.get("id") ?? "";
  const rest = host.rest;
  rest.in_flight += 1;
  try {
    await host.sleep(rest.delay_ms + (host.book.get(id)?.delay_ms ?? 0));
  } finally {
    rest.in_flight -= 1;
  }
  // Read after the delay: figures may have changed meanwhile, as on a real slow server.
  const account = host.book.get(id);
  host.rest.requests += 1;
  if (!account) {
    host.rest.unknown += 1;
    sendJson(res, UNKNOWN_STATUS, INVALID_SESSION);
  } else {
    account.reads += 1;
    if (!account.expired) {
      sendJson(res, 200, { ...accountSummary(account), ...host.summaryExtra?.(id) });
    } else {
      host.rest.expired += 1;
      if (account.expired_body === null) sendJson(res, account.expired_status, INVALID_SESSION);
      else sendText(res, account.expired_status, account.expired_body);
    }
  }
  host.onRead(id);
  return true;
}
