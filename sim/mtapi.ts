/**
 * MTAPI REST: `GET /AccountSummary?id={session_id}` from the account book, in camelCase or
 * PascalCase, with numbers or numeric strings; expired or unknown sessions answer an error
 * status with an error body (docs/wire-contract.md, "MTAPI REST"). The real bridge's
 * behaviours on command (docs/mtapi-bridge.md, "Simulator"): `synced: false` with zero figures
 * (and for a few answers after each reconnect), `isInvestor`, 201 `{"code", "message"}` errors,
 * token idle expiry, and the session calls `ConnectByToken`, `ConnectEx` and `CheckConnect`.
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
}

/** Status for a session the book does not know. */
const UNKNOWN_STATUS = 400;
const INVALID_SESSION = { message: "Invalid session id" };

/** The AccountSummary body of an account, honouring its `pascal` and `string_numbers`. */
export function accountSummary(a: SimAccount): Record<string, string | number | boolean> {
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
  const unsynced = !a.synced || a.unsynced_reads > 0;
  if (unsynced) {
    // What the bridge answers right after a (re)connect: zero figures, not yet the account's.
    for (const k of [
      "balance",
      "credit",
      "profit",
      "equity",
      "margin",
      "freeMargin",
      "marginLevel",
    ])
      camel[k] = money(0);
  }
  const flags = { synced: !unsynced, isInvestor: a.is_investor };
  if (!a.pascal) return { ...camel, ...flags };
  return {
    ...Object.fromEntries(
      Object.entries(camel).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]),
    ),
    ...flags,
  };
}

/** The bridge's error body, answered with HTTP 201 as the real bridge does. */
export function errorBody(code: string, message?: string): { code: string; message: string } {
  return { code, message: message ?? MESSAGES[code] ?? code };
}
const MESSAGES: Record<string, string> = {
  INVALID_TOKEN: "Client with id not found",
  INVALID_ACCOUNT: "Invalid account",
  SERVICE_NOT_AVAILABLE: "Server is not available",
  MARKET_CLOSED: "Market is closed",
  CONNECT_ERROR: "Cannot connect to the server",
  TIMEOUT: "Timeout",
  NULL_ARGUMENT: "Argument is null",
};

/** Expires the token when idle longer than its `token_idle_ms`; stamps the call. */
function touch(a: SimAccount, now: number): void {
  if (a.token_idle_ms > 0 && now - a.last_call_at > a.token_idle_ms && !a.expired) {
    a.expired = true;
    a.expired_status = 201;
    a.expired_body = JSON.stringify(errorBody("INVALID_TOKEN"));
  }
  a.last_call_at = now;
}

/** Connects an account (ConnectByToken, ConnectEx): valid again, unsynced for a few answers. */
function connect(a: SimAccount, now: number): void {
  a.expired = false;
  a.expired_body = null;
  a.unsynced_reads = a.unsynced_after_connect;
  a.connects += 1;
  a.last_call_at = now;
}

/** `ConnectByToken`, `ConnectEx`, `CheckConnect`; false for any other path. */
function handleSession(res: ServerResponse, url: URL, host: MtapiHost): boolean {
  const path = url.pathname.toLowerCase();
  const q = url.searchParams;
  const now = Date.now();
  if (path === "/connectbytoken" || path === "/checkconnect") {
    const id = q.get("id") ?? "";
    if (id === "") {
      sendJson(res, 201, errorBody("NULL_ARGUMENT"));
      return true;
    }
    const a = host.book.get(id);
    host.rest.session_calls += 1;
    if (path === "/checkconnect") {
      if (a) touch(a, now);
      if (a && !a.expired) sendText(res, 200, "OK");
      else sendJson(res, 201, errorBody("INVALID_TOKEN"));
      return true;
    }
    if (!a || !a.connect_by_token) {
      sendJson(res, 201, errorBody("INVALID_TOKEN"));
      return true;
    }
    if (a.error_code && a.error_code !== "INVALID_TOKEN") {
      sendJson(res, 201, errorBody(a.error_code));
      return true;
    }
    connect(a, now);
    sendText(res, 200, a.session_id);
    return true;
  }
  if (path === "/connectex") {
    host.rest.session_calls += 1;
    const user = q.get("user") ?? "";
    const server = q.get("server") ?? "";
    const password = q.get("password");
    if (user === "" || server === "" || password === null) {
      sendJson(res, 201, errorBody("NULL_ARGUMENT"));
      return true;
    }
    const a = host.book.list().find((x) => x.login === user && x.server === server);
    if (!a || (a.password !== null && a.password !== password)) {
      sendJson(res, 201, errorBody("INVALID_ACCOUNT"));
      return true;
    }
    if (a.error_code && !["INVALID_TOKEN", "INVALID_ACCOUNT"].includes(a.error_code)) {
      sendJson(res, 201, errorBody(a.error_code));
      return true;
    }
    connect(a, now);
    // Tokens are deterministic per account: logging in again answers the same one.
    sendText(res, 200, a.session_id);
    return true;
  }
  return false;
}

/** Answers an MTAPI request; false when the path is not an MTAPI route. */
export async function handleMtapi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  host: MtapiHost,
): Promise<boolean> {
  if (handleSession(res, url, host)) return true;
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
    touch(account, Date.now());
    if (account.error_code && !account.expired) sendJson(res, 201, errorBody(account.error_code));
    else if (!account.expired) {
      sendJson(res, 200, accountSummary(account));
      if (account.unsynced_reads > 0) account.unsynced_reads -= 1;
    } else {
      host.rest.expired += 1;
      if (account.expired_body === null) sendJson(res, account.expired_status, INVALID_SESSION);
      else sendText(res, account.expired_status, account.expired_body);
    }
  }
  host.onRead(id);
  return true;
}
