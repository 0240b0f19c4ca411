/**
 * MTAPI REST `GET {MTAPI_URL}/AccountSummary?id={session_id}` (docs/wire-contract.md, "MTAPI REST"):
 * the parser, and the client with a per-call timeout.
 */
import { upstreamProblem } from "../domain/upstream.ts";
import { redactText } from "../domain/redact.ts";
import { INVALID, isRecord, pickNumber, spellings, type Spellings } from "../domain/wire-fields.ts";

/** The figures the monitor uses from an account summary (account currency). */
export interface AccountSummary {
  balance: number;
  equity: number;
  credit?: number;
  profit?: number;
  margin?: number;
  freeMargin?: number;
}

/** Why an account could not be read: the `problem` code shown per account. */
export type SummaryProblem = "session_expired" | "mtapi_unreachable";

export type SummaryResult =
  { ok: true; summary: AccountSummary } | { ok: false; problem: SummaryProblem; detail: string };

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
    summary[key] = value;
  }
  for (const [key, names] of OPTIONAL) {
    const value = pickNumber(body, names);
    if (typeof value === "number") summary[key] = value;
  }
  return { ok: true, summary: summary as AccountSummary };
}

function errorMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && typeof body.message === "string") return body.message;
  } catch {
    // not JSON: the text itself is the message
  }
  return text.slice(0, 200);
}

/**
 * Classifies an MTAPI answer. MTAPI reports a bad session with 201, 4xx or 500 and an error
 * body, so a body that is not a summary means the session is unusable, except for 5xx
 * answers that do not mention the session (the service itself is failing).
 */
export function classifySummaryResponse(status: number, text: string): SummaryResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300) {
    const parsed = parseAccountSummary(body);
    if (parsed.ok) return parsed;
    return {
      ok: false,
      problem: "session_expired",
      detail: `${status}: ${errorMessage(text) || parsed.error}`,
    };
  }
  const message = errorMessage(text);
  if (status >= 500 && !/session/i.test(message)) {
    return { ok: false, problem: "mtapi_unreachable", detail: `${status}: ${message}` };
  }
  return { ok: false, problem: "session_expired", detail: `${status}: ${message}` };
}

/**
 * Reads one account's summary.
 * @param timeoutMs per-call timeout (ms); a slow account never stalls the caller longer.
 */
export async function fetchAccountSummary(
  mtapiUrl: string,
  sessionId: string,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<SummaryResult> {
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
  return result.ok ? result : { ...result, detail: redactText(result.detail, [sessionId]) };
}
