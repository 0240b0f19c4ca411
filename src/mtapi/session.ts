/**
 * MTAPI session calls (docs/mtapi-bridge.md, "Sessions"): `ConnectByToken` reconnects an
 * expired token without a password, `ConnectEx` logs in with stored credentials, and
 * `CheckConnect` tells whether a token is connected. The first two answer the token as plain
 * text, errors as `{"code", "message"}` (often with HTTP 201). Every call has a deadline; one
 * that passes it is `mtapi_unreachable`. No answer's detail carries the password or a token.
 */
import { problemOfCode, type ReadProblem } from "../domain/vocabulary.ts";
import { errorOfBody, parseBody, redactResult } from "./account-summary.ts";
import { upstreamProblem } from "../domain/upstream.ts";

export type SessionResult =
  { ok: true; token: string } | { ok: false; problem: ReadProblem; detail: string; code?: string };

/** A token as MTAPI hands it out: printable, no spaces or markup, at most 256 characters. */
const TOKEN = /^[A-Za-z0-9._~:+/=-]{1,256}$/;

/** Reads a plain-text (or JSON string) token answer; anything else is an error. */
export function classifyTokenAnswer(status: number, text: string): SessionResult {
  const body = parseBody(text);
  const err = errorOfBody(body);
  if (err?.code !== undefined)
    return {
      ok: false,
      problem: problemOfCode(err.code),
      code: err.code,
      detail: `${status} ${err.code}: ${(err.message ?? "").slice(0, 200)}`,
    };
  const candidate = (typeof body === "string" ? body : text).trim();
  if (status >= 200 && status < 300 && TOKEN.test(candidate)) return { ok: true, token: candidate };
  const problem: ReadProblem =
    status >= 500 || status < 300 ? "mtapi_unreachable" : "token_invalid";
  return { ok: false, problem, detail: `${status}: ${(err?.message ?? text).slice(0, 200)}` };
}

/** Reads a `CheckConnect` answer: `OK` (plain text, or a JSON string) or an error. */
export function classifyCheckAnswer(status: number, text: string): SessionResult {
  const r = classifyTokenAnswer(status, text);
  if (r.ok) {
    if (r.token.toUpperCase() === "OK") return r;
    return { ok: false, problem: "token_invalid", detail: `${status}: not OK` };
  }
  return r;
}

async function call(
  url: string,
  timeoutMs: number,
  fetcher: typeof fetch,
  classify: (status: number, text: string) => SessionResult,
  secrets: string[],
): Promise<SessionResult> {
  let result: SessionResult;
  // Never send a token or a password over plain http to anything but a local simulator.
  const refused = upstreamProblem(url);
  if (refused) return { ok: false, problem: "mtapi_unreachable", detail: refused };
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) });
    result = classify(res.status, await res.text());
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    result = { ok: false, problem: "mtapi_unreachable", detail };
  }
  // Masked as given, and as encoded in a URL (a password with `&` or `=` in it).
  const forms = secrets.flatMap((v) => [
    v,
    encodeURIComponent(v),
    new URLSearchParams({ v }).toString().slice(2),
  ]);
  return redactResult(result, forms);
}

const base = (mtapiUrl: string) => mtapiUrl.replace(/\/+$/, "");

/** `ConnectByToken?id={token}`: the token reconnected (the same or a new one). */
export function connectByToken(
  mtapiUrl: string,
  token: string,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<SessionResult> {
  if (token.trim() === "")
    return Promise.resolve({ ok: false, problem: "token_invalid", detail: "no session token" });
  const url = `${base(mtapiUrl)}/ConnectByToken?id=${encodeURIComponent(token)}`;
  return call(url, timeoutMs, fetcher, classifyTokenAnswer, [token]);
}

/** `ConnectEx?user=&password=&server=`: a login with credentials; the password URL-encoded. */
export function connectEx(
  mtapiUrl: string,
  login: { user: string; password: string; server: string },
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<SessionResult> {
  const q = new URLSearchParams({
    user: login.user,
    password: login.password,
    server: login.server,
  });
  const url = `${base(mtapiUrl)}/ConnectEx?${q.toString()}`;
  return call(url, timeoutMs, fetcher, classifyTokenAnswer, [login.password]);
}

/** `CheckConnect?id={token}`: ok when MTAPI answers `OK`. */
export function checkConnect(
  mtapiUrl: string,
  token: string,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<SessionResult> {
  if (token.trim() === "")
    return Promise.resolve({ ok: false, problem: "token_invalid", detail: "no session token" });
  const url = `${base(mtapiUrl)}/CheckConnect?id=${encodeURIComponent(token)}`;
  return call(url, timeoutMs, fetcher, classifyCheckAnswer, [token]);
}
