/**
 * The MTAPI calls an enforcement action makes (docs/enforcement.md, "Exactly once"):
 * `AccountSummary` (equity, `isInvestor`), `OpenedOrders`, `OrderCloseSafe`, and
 * `ConnectByToken` to renew an expired session. Every answer becomes the pure core's answer
 * shape: an error body's `code` (`TIMEOUT`, `MARKET_CLOSED`, `INVALID_TICKET`, ...), a 2xx
 * that is not what was asked for (`BAD_ANSWER`), or a call that never answered (`NETWORK`:
 * for a close, an unknown outcome).
 */
import type {
  Failure,
  OpenOrder,
  OpenedAnswer,
  RenewAnswer,
  SendAnswer,
  SummaryAnswer,
} from "../domain/enforcement/action.ts";
import { redactText } from "../domain/redact.ts";
import { pickBoolean } from "./account-summary.ts";
import { isRecord, pickNumber, spellings } from "../domain/wire-fields.ts";

export interface TradingOptions {
  mtapiUrl: string;
  sessionId: string;
  /** Per call (ms). A close that outlives it is an unknown outcome. */
  timeoutMs?: number;
  fetcher?: typeof fetch;
}

type Raw = { ok: true; status: number; text: string } | Failure;

async function call(
  opts: TradingOptions,
  path: string,
  params: Record<string, string>,
): Promise<Raw> {
  const url = new URL(path, opts.mtapiUrl.endsWith("/") ? opts.mtapiUrl : `${opts.mtapiUrl}/`);
  url.searchParams.set("id", opts.sessionId);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  try {
    const res = await (opts.fetcher ?? fetch)(url.toString(), {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    return { ok: true, status: res.status, text: await res.text() };
  } catch (err) {
    const message = redactText(err instanceof Error ? err.message : String(err));
    const timeout = err instanceof Error && /timeout|abort/i.test(`${err.name} ${err.message}`);
    return { ok: false, code: timeout ? "TIMEOUT" : "NETWORK", message };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An error answer's code, if the answer is one (`{code, message}`, any status). */
export function errorOf(status: number, text: string): Failure | null {
  const body = parseJson(text);
  if (isRecord(body) && typeof body.code === "string" && body.code !== "") {
    return {
      ok: false,
      code: body.code.toUpperCase(),
      message: redactText(String(body.message ?? "")),
    };
  }
  if (status < 200 || status >= 300) {
    const message = redactText(
      isRecord(body) && typeof body.message === "string" ? body.message : text.slice(0, 200),
    );
    // A version-1 expired session: a non-2xx naming the session.
    return {
      ok: false,
      code: /session|token|client with id/i.test(message) ? "INVALID_TOKEN" : `HTTP_${status}`,
      message,
    };
  }
  return null;
}

const num = (body: Record<string, unknown>, name: string): number | undefined => {
  const v = pickNumber(body, spellings(name));
  return typeof v === "number" ? v : undefined;
};

export async function readSummary(opts: TradingOptions): Promise<SummaryAnswer> {
  const r = await call(opts, "AccountSummary", {});
  if (!r.ok) return r;
  const err = errorOf(r.status, r.text);
  if (err) return err;
  const body = parseJson(r.text);
  if (!isRecord(body)) return { ok: false, code: "BAD_ANSWER" };
  // Zero figures of a session not yet synced are not the account's equity (docs/mtapi-bridge.md):
  // a failed read, tried again after a backoff, so the evidence never shows a false 0.
  if (pickBoolean(body, spellings("synced")) === false) {
    return { ok: false, code: "UNSYNCED", message: "synced: false" };
  }
  const equity = num(body, "equity");
  if (equity === undefined) return { ok: false, code: "BAD_ANSWER", message: "no equity" };
  const inv = body.isInvestor ?? body.IsInvestor ?? body.is_investor;
  return { ok: true, equity, isInvestor: typeof inv === "boolean" ? inv : null };
}

/** One `OpenedOrders` entry; null when it has no usable ticket (never acted on). */
export function parseOpenOrder(v: unknown): OpenOrder | null {
  if (!isRecord(v)) return null;
  const ticket = num(v, "ticket");
  if (ticket === undefined || !Number.isSafeInteger(ticket) || ticket <= 0) return null;
  const text = (a: string, b: string) =>
    typeof v[a] === "string" ? (v[a] as string) : typeof v[b] === "string" ? (v[b] as string) : "";
  return {
    ticket,
    symbol: text("symbol", "Symbol"),
    orderType: text("orderType", "OrderType") || text("type", "Type"),
    lots: num(v, "lots") ?? 0,
    openPrice: num(v, "openPrice") ?? 0,
    profit: num(v, "profit") ?? 0,
  };
}

export async function readOpenedOrders(opts: TradingOptions): Promise<OpenedAnswer> {
  const r = await call(opts, "OpenedOrders", {});
  if (!r.ok) return r;
  const err = errorOf(r.status, r.text);
  if (err) return err;
  const body = parseJson(r.text);
  if (!Array.isArray(body)) return { ok: false, code: "BAD_ANSWER", message: "not a list" };
  const orders = body.map(parseOpenOrder);
  // A list with an entry we cannot read is not a list we may settle or plan from.
  if (orders.some((o) => o === null)) {
    return { ok: false, code: "BAD_ANSWER", message: "an order without a ticket" };
  }
  return { ok: true, orders: orders as OpenOrder[] };
}

export async function orderCloseSafe(opts: TradingOptions, ticket: number): Promise<SendAnswer> {
  const r = await call(opts, "OrderCloseSafe", { ticket: String(ticket) });
  if (!r.ok) return r;
  const err = errorOf(r.status, r.text);
  if (err) return err;
  const body = parseJson(r.text);
  if (!isRecord(body)) return { ok: false, code: "BAD_ANSWER" };
  const state = typeof body.state === "string" ? body.state : "";
  return {
    ok: true,
    closePrice: num(body, "closePrice") ?? 0,
    closeTime: typeof body.closeTime === "string" ? body.closeTime : "",
    profit: num(body, "profit") ?? 0,
    state,
  };
}

/** `ConnectByToken`: the same token answered as plain text means the session is back. */
export async function renewSession(opts: TradingOptions): Promise<RenewAnswer> {
  const r = await call(opts, "ConnectByToken", {});
  if (!r.ok) return r;
  const err = errorOf(r.status, r.text);
  if (err) return err;
  return { ok: true };
}
