/**
 * `OrderCloseSafe?id=&ticket=` (docs/enforcement.md, "Exactly once"): closes a position or
 * cancels a pending order, the one MTAPI call only enforcement makes. Reads (`AccountSummary`,
 * `OpenedOrders`) and session renewal go through the bridge's own clients
 * (account-summary.ts, orders.ts, renew.ts); src/enforce/broker.ts maps them for the core.
 * The answer becomes the core's shape: an error body's code (`TIMEOUT`, `MARKET_CLOSED`,
 * `INVALID_TICKET`, ...: the bridge's classification, errorOfBody), a 2xx that is not a close
 * (`BAD_ANSWER`), or a call that never answered (`TIMEOUT` / `NETWORK`: an unknown outcome).
 */
import type { SendAnswer } from "../domain/enforcement/action.ts";
import { redactText } from "../domain/redact.ts";
import { upstreamProblem } from "../domain/upstream.ts";
import { isRecord, pickNumber, spellings } from "../domain/wire-fields.ts";
import { TOKEN_TEXT, errorOfBody, parseBody } from "./account-summary.ts";

const num = (body: Record<string, unknown>, name: string): number | undefined => {
  const v = pickNumber(body, spellings(name));
  return typeof v === "number" ? v : undefined;
};

/** Classifies an `OrderCloseSafe` answer (status and body text). */
export function closeAnswer(status: number, text: string, secrets: string[] = []): SendAnswer {
  const body = parseBody(text);
  const err = errorOfBody(body);
  const message = redactText((err?.message ?? text).slice(0, 200), secrets);
  if (err?.code !== undefined) return { ok: false, code: err.code.toUpperCase(), message };
  if (status < 200 || status >= 300) {
    // A version-1 expired session: a non-2xx naming the session (nothing executed).
    return {
      ok: false,
      code: TOKEN_TEXT.test(message) ? "INVALID_TOKEN" : `HTTP_${status}`,
      message,
    };
  }
  if (!isRecord(body)) return { ok: false, code: "BAD_ANSWER", message };
  return {
    ok: true,
    closePrice: num(body, "closePrice") ?? 0,
    closeTime: typeof body.closeTime === "string" ? body.closeTime : "",
    profit: num(body, "profit") ?? 0,
    state: typeof body.state === "string" ? body.state : "",
  };
}

/**
 * Closes (a position) or cancels (a pending order) `ticket`. Never throws: a call that passes
 * `timeoutMs` is `TIMEOUT`, one that fails otherwise `NETWORK` (both unknown outcomes, settled
 * by reading `OpenedOrders` once the request cannot be executing any more: `inFlight`). A token is never sent over plain http to anything but a local
 * simulator (`UPSTREAM_REFUSED`: nothing sent).
 */
export async function orderCloseSafe(
  mtapiUrl: string,
  sessionId: string,
  ticket: number,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<SendAnswer> {
  const refused = upstreamProblem(mtapiUrl);
  if (refused) return { ok: false, code: "UPSTREAM_REFUSED", message: refused };
  const url =
    `${mtapiUrl.replace(/\/+$/, "")}/OrderCloseSafe?id=${encodeURIComponent(sessionId)}` +
    `&ticket=${ticket}`;
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) });
    return closeAnswer(res.status, await res.text(), [sessionId]);
  } catch (err) {
    const message = redactText(err instanceof Error ? err.message : String(err), [sessionId]);
    const timeout = err instanceof Error && /timeout|abort/i.test(`${err.name} ${err.message}`);
    // No answer came back: the close may still be executing at the bridge (`inFlight`).
    return { ok: false, code: timeout ? "TIMEOUT" : "NETWORK", message, inFlight: true };
  }
}
