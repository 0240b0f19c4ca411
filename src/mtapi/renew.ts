/**
 * Session renewal (docs/mtapi-bridge.md, "Sessions"), the MTAPI side only: for a token that
 * answers `INVALID_TOKEN`, `ConnectByToken` first (no password); when that refuses and the
 * account has stored credentials, `ConnectEx`. `INVALID_ACCOUNT` is final until an operator
 * changes the credentials; the caller backs off per account (renewBackoffMs).
 */
import type { ReadProblem } from "../domain/vocabulary.ts";
import { connectByToken, connectEx, type SessionResult } from "./session.ts";

export interface RenewInput {
  token: string;
  login: string;
  server: string;
  /** The stored password, when there is one (already unsealed). */
  password?: string | undefined;
}

export type RenewResult =
  | { ok: true; token: string; via: "token" | "credentials"; calls: number }
  | {
      ok: false;
      /** `session_expired` (no way to renew), `credentials_rejected`, or a transient problem. */
      problem: ReadProblem;
      detail: string;
      calls: number;
    };

/** Renews a session; never throws. */
export async function renewSession(
  mtapiUrl: string,
  input: RenewInput,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<RenewResult> {
  let calls = 0;
  let byToken: SessionResult | null = null;
  if (input.token.trim() !== "") {
    calls++;
    byToken = await connectByToken(mtapiUrl, input.token, timeoutMs, fetcher);
    if (byToken.ok) return { ok: true, token: byToken.token, via: "token", calls };
  }
  // The bridge or the broker is down: not the token's fault; try again later.
  const transient =
    byToken &&
    !byToken.ok &&
    ["upstream_unavailable", "mtapi_unreachable"].includes(byToken.problem);
  if (input.password === undefined) {
    if (transient && byToken && !byToken.ok)
      return { ok: false, problem: byToken.problem, detail: byToken.detail, calls };
    return {
      ok: false,
      problem: "session_expired",
      detail: byToken && !byToken.ok ? `ConnectByToken: ${byToken.detail}` : "no session token",
      calls,
    };
  }
  calls++;
  const login = await connectEx(
    mtapiUrl,
    { user: input.login, password: input.password, server: input.server },
    timeoutMs,
    fetcher,
  );
  if (login.ok) return { ok: true, token: login.token, via: "credentials", calls };
  const problem: ReadProblem =
    login.problem === "credentials_rejected"
      ? "credentials_rejected"
      : login.problem === "token_invalid"
        ? "session_expired"
        : login.problem;
  return { ok: false, problem, detail: `ConnectEx: ${login.detail}`, calls };
}

/** Backoff before the next renewal of an account after `failures` failed attempts in a row (ms). */
export function renewBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(30_000 * 2 ** (failures - 1), 30 * 60_000);
}
