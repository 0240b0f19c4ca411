/**
 * MTAPI REST orders (docs/trades.md, "Ingest"): `OpenedOrders?id=` (a JSON array of open
 * positions and pending orders) and `OrderHistory?id=&from=&to=` (`{partialResponse, orders}`),
 * each with a per-call timeout. The bodies are handed on raw: src/domain/trades parses them.
 */
import { redactText } from "../domain/redact.ts";
import { isRecord } from "../domain/wire-fields.ts";
import { TOKEN_TEXT, errorOfBody } from "./account-summary.ts";

/** A failure's `code` is the bridge's error code when it named one (`INVALID_TOKEN`...). */
export type OrdersAnswer =
  { ok: true; orders: unknown; partial: boolean } | { ok: false; detail: string; code?: string };

function base(mtapiUrl: string): string {
  return mtapiUrl.replace(/\/+$/, "");
}

async function getJson(
  url: string,
  timeoutMs: number,
  fetcher: typeof fetch,
): Promise<{ ok: true; status: number; body: unknown } | { ok: false; detail: string }> {
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      return { ok: true, status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, detail: `${res.status}: not JSON: ${redactText(text.slice(0, 120))}` };
    }
  } catch (err) {
    return {
      ok: false,
      detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    };
  }
}

/** An error body (`{code, message}`) is never a list of orders, whatever the status. */
function errorOf(status: number, body: unknown): string | null {
  if (isRecord(body) && (typeof body.code === "string" || typeof body.message === "string")) {
    const code = typeof body.code === "string" ? body.code : "";
    const message = typeof body.message === "string" ? body.message : "";
    return redactText(`${status}: ${code} ${message}`.trim());
  }
  if (status < 200 || status >= 300) return `${status}`;
  return null;
}

/** The account's open positions and pending orders (the complete list). */
export async function fetchOpenedOrders(
  mtapiUrl: string,
  sessionId: string,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<OrdersAnswer> {
  const got = await getJson(
    `${base(mtapiUrl)}/OpenedOrders?id=${encodeURIComponent(sessionId)}`,
    timeoutMs,
    fetcher,
  );
  if (!got.ok) return got;
  const error = errorOf(got.status, got.body);
  if (error !== null) {
    // The bridge's classification (account-summary.ts): a code, or code-less text about the session.
    const code =
      errorOfBody(got.body)?.code ??
      (got.status >= 300 && TOKEN_TEXT.test(error) ? "INVALID_TOKEN" : undefined);
    return code === undefined ? { ok: false, detail: error } : { ok: false, detail: error, code };
  }
  if (!Array.isArray(got.body)) return { ok: false, detail: "OpenedOrders answer is not a list" };
  return { ok: true, orders: got.body, partial: false };
}

/**
 * Closed trades and balance operations between `from` and `to`, sent as broker-time ISO
 * strings (no zone). `partial` is the bridge's `partialResponse`: the list is incomplete.
 */
export async function fetchOrderHistory(
  mtapiUrl: string,
  sessionId: string,
  from: string,
  to: string,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<OrdersAnswer> {
  const url =
    `${base(mtapiUrl)}/OrderHistory?id=${encodeURIComponent(sessionId)}` +
    `&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const got = await getJson(url, timeoutMs, fetcher);
  if (!got.ok) return got;
  if (Array.isArray(got.body)) return { ok: true, orders: got.body, partial: false };
  const error = errorOf(got.status, got.body);
  if (isRecord(got.body) && Array.isArray(got.body.orders)) {
    return { ok: true, orders: got.body.orders, partial: got.body.partialResponse === true };
  }
  return { ok: false, detail: error ?? "OrderHistory answer has no orders" };
}
