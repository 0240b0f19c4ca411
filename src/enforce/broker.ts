/**
 * The MTAPI side of an enforcement action (docs/enforcement.md, "Exactly once"): the calls
 * the core's host needs, made by the bridge's own clients (src/mtapi): `AccountSummary`
 * (fetchAccountSummary), `OpenedOrders` (fetchOpenedOrders), `OrderCloseSafe` (trading.ts),
 * and renewal through src/mtapi/renew.ts (`ConnectByToken`, then `ConnectEx` with the stored
 * credentials). A renewed token is used for every call after it and handed to `onRenewed`
 * (the shell records it in Postgres). Each answer becomes the core's shape: a failure's
 * `code` is the bridge's error code, `INVALID_TOKEN` for an expired session.
 */
import {
  ACCOUNT_DELETED,
  type Failure,
  type OpenedAnswer,
  type RenewAnswer,
  type SendAnswer,
  type SummaryAnswer,
} from "../domain/enforcement/action.ts";
import { openOrdersOf } from "../domain/enforcement/opened.ts";
import { TOKEN_TEXT, fetchAccountSummary } from "../mtapi/account-summary.ts";
import { fetchOpenedOrders } from "../mtapi/orders.ts";
import { renewSession } from "../mtapi/renew.ts";
import { orderCloseSafe } from "../mtapi/trading.ts";

export interface BrokerSession {
  mtapiUrl: string;
  sessionId: string;
  login: string;
  server: string;
  /** The stored password, opened only when a renewal by token fails (undefined: none). */
  password?: () => Promise<string | undefined>;
  /** Per MTAPI call (ms). A close that outlives it is an unknown outcome. */
  timeoutMs?: number;
  fetcher?: typeof fetch;
  /** A renewal gave a token (maybe a new one); the shell records it. */
  onRenewed?: (oldToken: string, token: string, via: "token" | "credentials") => Promise<void>;
}

export interface BrokerCalls {
  readSummary(): Promise<SummaryAnswer>;
  readOpened(): Promise<OpenedAnswer>;
  send(ticket: number): Promise<SendAnswer>;
  renew(): Promise<RenewAnswer>;
  /** The token the calls use now. */
  sessionId(): string;
}

export function brokerCalls(session: BrokerSession): BrokerCalls {
  let token = session.sessionId;
  const timeoutMs = session.timeoutMs ?? 10_000;
  const { mtapiUrl, fetcher } = session;
  return {
    sessionId: () => token,
    async readSummary() {
      const r = await fetchAccountSummary(mtapiUrl, token, timeoutMs, fetcher);
      if (!r.ok) {
        const code = r.code ?? (r.problem === "token_invalid" ? "INVALID_TOKEN" : r.problem);
        return { ok: false, code: code.toUpperCase(), message: r.detail };
      }
      return { ok: true, equity: r.summary.equity, isInvestor: r.summary.isInvestor ?? null };
    },
    async readOpened() {
      const r = await fetchOpenedOrders(mtapiUrl, token, timeoutMs, fetcher);
      if (!r.ok) {
        const code = r.code ?? (TOKEN_TEXT.test(r.detail) ? "INVALID_TOKEN" : "READ_FAILED");
        return { ok: false, code, message: r.detail };
      }
      // A list with an entry we cannot read is not a list we may settle or plan from.
      const orders = openOrdersOf(r.orders);
      if (orders === null)
        return { ok: false, code: "BAD_ANSWER", message: "an order without a ticket" };
      return { ok: true, orders };
    },
    send: (ticket) => orderCloseSafe(mtapiUrl, token, ticket, timeoutMs, fetcher),
    async renew() {
      const old = token;
      const r = await renewSession(
        mtapiUrl,
        {
          token: old,
          login: session.login,
          server: session.server,
          password: await session.password?.(),
        },
        timeoutMs,
        fetcher,
      );
      if (!r.ok) return { ok: false, code: r.problem.toUpperCase(), message: r.detail };
      token = r.token;
      await session.onRenewed?.(old, r.token, r.via);
      return { ok: true };
    },
  };
}

/**
 * The calls of an action whose account is deleted: its token was wiped, so nothing reaches the
 * bridge; every call answers `ACCOUNT_DELETED` (the core fails the action at once with "account
 * deleted", docs/enforcement.md, "Deleted accounts").
 */
export function brokerOfDeleted(): BrokerCalls {
  const refused = async (): Promise<Failure> => ({
    ok: false,
    code: ACCOUNT_DELETED,
    message: "the account is deleted: its session was wiped",
  });
  return {
    sessionId: () => "",
    readSummary: refused,
    readOpened: refused,
    send: refused,
    renew: refused,
  };
}
