/**
 * MTAPI REST `GET {MTAPI_URL}/AccountSummary?id={session_id}` (docs/wire-contract.md, "MTAPI REST";
 * docs/mtapi-bridge.md, "Errors"): the parser, the classifier of errors by code, and the client
 * with a per-call timeout.
 */
import { upstreamProblem } from "../domain/upstream.ts";
import { redactText } from "../domain/redact.ts";
import { unsyncedReason } from "../domain/reading-guard.ts";
import { problemOfCode, type ReadProblem } from "../domain/vocabulary.ts";
import { INVALID, isRecord, pickNumber, spellings, type Spellings } from "../domain/wire-fields.ts";

/** The figures the monitor uses from an account summary (account currency). */
export interface AccountSummary {
  balance: number;
  equity: number;
  credit?: number;
  profit?: number;
  margin?: number;
  freeMargin?: number;
  /** `false`: the figures are not yet the account's (never a reading); absent when not sent. */
  synced?: boolean;
  /** True when the session was opened with the investor (read-only) password. */
  isInvestor?: boolean;
}

/** Why an account could not be read: the `problem` code shown per account. */
export type SummaryProblem = ReadProblem;

export type SummaryResult =
  | { ok: true; summary: AccountSummary }
  | { ok: false; problem: SummaryProblem; detail: string; code?: string };

const REQUIRED: ReadonlyArray<[keyof AccountSummary, Spellings]> = [
  ["balance", spellings("balance")],
  ["equity", spellings("equity")],
];
const OPTIONAL: ReadonlyArray<[keyof AccountSummary, Spellings]> = [
  ["credit", spellings("credit")],
  ["profit", spellings("profit")],
  ["margin", spellings("margin")],
  ["freeMargin", spellings("freeMargin")],
];
const SYNCED = spellings("synced");
const IS_INVESTOR = spellings("isInvestor");

/** A boolean field under any spelling; `"true"`/`"false"` strings count; else undefined. */
export function pickBoolean(obj: Record<string, unknown>, names: Spellings): boolean | undefined {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === "boolean") return v;
    if (typeof v === "string" && /^(true|false)$/i.test(v.trim()))
      return v.trim().toLowerCase() === "true";
  }
  return undefined;
}

/** Parses a summary body; balance and equity are required and finite. */
export function parseAccountSummary(
  body: unknown,
): { ok: true; summary: AccountSummary } | { ok: false; error: string } {
  if (!isRecord(body)) return { ok: false, error: "summary is not a JSON object" };
  const summary: Partial<AccountSummary> = {};
  for (const [key, names] of REQUIRED) {
    const value = pickNumber(body, names);
    if (value === undefined) return { ok: false, error: `summary has no ${key}` };
    if (value === INVALID) return { ok: false, error: `summary ${key} is not a finite number` };
    (summary as Record<string, number>)[key] = value;
  }
  for (const [key, names] of OPTIONAL) {
    const value = pickNumber(body, names);
    if (typeof value === "number") (summary as Record<string, number>)[key] = value;
  }
  const synced = pickBoolean(body, SYNCED);
  if (synced !== undefined) summary.synced = synced;
  const investor = pickBoolean(body, IS_INVESTOR);
  if (investor !== undefined) summary.isInvestor = investor;
  return { ok: true, summary: summary as AccountSummary };
}

/** An answer's body as JSON, or undefined when it is not JSON (plain text, HTML). */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An MTAPI error body: `{"code": "INVALID_TOKEN", "message": "..."}`, any spelling of the keys. */
export function errorOfBody(body: unknown): { code?: string; message?: string } | null {
  if (!isRecord(body)) return null;
  const code = body.code ?? body.Code ?? body.error ?? body.Error;
  const message = body.message ?? body.Message;
  const out: { code?: string; message?: string } = {};
  if (typeof code === "string" && /^[A-Z][A-Z_]+$/.test(code.trim())) out.code = code.trim();
  if (typeof message === "string") out.message = message;
  return out.code !== undefined || out.message !== undefined ? out : null;
}

function errorMessage(text: string, body: unknown): string {
  const err = errorOfBody(body);
  if (err?.message !== undefined) return err.message.slice(0, 200);
  return text.slice(0, 200);
}

/** Text that speaks of an unknown session or token (MTAPI's code-less answers). */
export const TOKEN_TEXT = /session|token|client with id|invalid id/i;

/**
 * Classifies an MTAPI answer (docs/mtapi-bridge.md, "Errors"). MTAPI reports errors as HTTP 201
 * (sometimes 4xx/5xx) with `{"code", "message"}`: the code decides the problem. Without a code:
 * text about the session is `token_invalid`; other 4xx are `token_invalid`; 5xx, and any 2xx
 * that is not a summary (HTML, plain text, a JSON object without figures), are
 * `mtapi_unreachable`. A summary marked `synced: false` is `unsynced`, never a reading.
 */
export function classifySummaryResponse(status: number, text: string): SummaryResult {
  const body = parseBody(text);
  const err = errorOfBody(body);
  const message = errorMessage(text, body);
  if (err?.code !== undefined) {
    return {
      ok: false,
      problem: problemOfCode(err.code),
      code: err.code,
      detail: `${status} ${err.code}: ${message}`,
    };
  }
  if (status >= 200 && status < 300) {
    const parsed = parseAccountSummary(body);
    if (parsed.ok) {
      const unsynced = unsyncedReason(parsed.summary, undefined);
      if (unsynced) return { ok: false, problem: "unsynced", detail: `${status}: ${unsynced}` };
      return parsed;
    }
    return {
      ok: false,
      problem: TOKEN_TEXT.test(message) ? "token_invalid" : "mtapi_unreachable",
      detail: `${status}: ${message || parsed.error}`,
    };
  }
  if (status >= 500 && !TOKEN_TEXT.test(message)) {
    return { ok: false, problem: "mtapi_unreachable", detail: `${status}: ${message}` };
  }
  return { ok: false, problem: "token_invalid", detail: `${status}: ${message}` };
}

/** The result with the detail made safe to log and show: no secret in it. */
export function redactResult<T extends { ok: boolean; detail?: string }>(
  result: T,
  secrets: readonly string[],
): T {
  if (result.ok || result.detail === undefined) return result;
  return {
    ...result,
    detail: redactText(
      result.detail,
      secrets.filter((s) => s !== ""),
    ),
  };
}

/**
 * Reads one account's summary. An empty token is never sent: `token_invalid` at once.
 * @param timeoutMs per-call timeout (ms); a slow account never stalls the caller longer.
 */
export async function fetchAccountSummary(
  mtapiUrl: string,
  sessionId: string,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<SummaryResult> {
  if (sessionId.trim() === "")
    return { ok: false, problem: "token_invalid", detail: "no session token" };
  // Never send a session token over plain http to anything but a local simulator.
  const refused = upstreamProblem(mtapiUrl);
  if (refused) return { ok: false, problem: "mtapi_unreachable", detail: refused };
  const url = `${mtapiUrl.replace(/\/+$/, "")}/AccountSummary?id=${encodeURIComponent(sessionId)}`;
  let result: SummaryResult;
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) });
    result = classifySummaryResponse(res.status, await res.text());
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    result = { ok: false, problem: "mtapi_unreachable", detail };
  }
  // The detail is logged and shown: never with the session id or any other credential in it.
  return redactResult(result, [sessionId]);
}

/**
 * The account's answer judged against what is known of it: figures that are zeros where the
 * last known balance was not zero are `unsynced`, not a reading (docs/mtapi-bridge.md).
 */
export function guardSummary(
  result: SummaryResult,
  lastBalance: number | undefined,
): SummaryResult {
  if (!result.ok) return result;
  const reason = unsyncedReason(result.summary, lastBalance);
  return reason ? { ok: false, problem: "unsynced", detail: reason } : result;
}
