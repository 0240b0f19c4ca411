/**
 * The simulator's account book: what MTAPI knows about each session, and the random walk
 * that moves equity between ticks.
 */
import { normal, type Rng } from "./random.ts";

/** An account as given to the simulator (control API body, options, `demoAccounts`). */
export interface SimAccountInput {
  /** MTAPI session token; the key of the book. */
  session_id: string;
  /** MetaTrader login; numbers are turned into strings. */
  login: string | number;
  server: string;
  /** Account currency units. */
  balance: number;
  /** Account currency units; default `balance`. */
  equity?: number;
  /** Default 0. */
  credit?: number;
  /** Used margin in account currency; default 1% of balance. */
  margin?: number;
  /** Default 100. */
  leverage?: number;
  /** Default "USD". */
  currency?: string;
  /** The monitor's own account id, carried by `account_id` shaped events; null = none. */
  account_id?: number | null;
  /** Mean relative equity change per tick (e.g. -0.0002 = -0.02% per tick). Default 0. */
  drift?: number;
  /** Standard deviation of the relative equity change per tick. Default 0.0003. */
  volatility?: number;
  /** Whether the random walk moves this account (when the walk is on). Default true. */
  walk?: boolean;
  /** AccountSummary with PascalCase names (Balance, Equity, ...). Default false. */
  pascal?: boolean;
  /** AccountSummary numbers as strings ("104000.00"). Default false. */
  string_numbers?: boolean;
  /** When true, AccountSummary answers `expired_status` with an error body. Default false. */
  expired?: boolean;
  /** Status for an expired session (MTAPI uses 201/400/500). Default 400. */
  expired_status?: number;
  /** Raw text body for an expired session; default JSON `{"message":"Invalid session id"}`. */
  expired_body?: string | null;
  /** Extra delay of this account's AccountSummary answers, ms. Default 0. */
  delay_ms?: number;
  /**
   * Bridge behaviours (docs/mtapi-bridge.md), each on command:
   * `synced: false` answers AccountSummary (and events) with `synced: false` and zero figures.
   * Default true.
   */
  synced?: boolean;
  /** After each ConnectByToken/ConnectEx, this many AccountSummary answers are unsynced. Default 0. */
  unsynced_after_connect?: number;
  /** `isInvestor` in AccountSummary (read-only password). Default false. */
  is_investor?: boolean;
  /** The password ConnectEx accepts; null accepts any. Default null. */
  password?: string | null;
  /** AccountSummary answers HTTP 201 `{"code": error_code, "message"}`; null = none. Default null. */
  error_code?: string | null;
  /** The token expires after this many ms without calls (INVALID_TOKEN); 0 = never. Default 0. */
  token_idle_ms?: number;
  /** Whether ConnectByToken reconnects this token. Default true. */
  connect_by_token?: boolean;
  /** Events stamped in server time: this many minutes ahead of UTC; null = UTC. Default null. */
  server_time_offset_min?: number | null;
}

/** An account in the book: every field resolved. */
export interface SimAccount {
  session_id: string;
  login: string;
  server: string;
  balance: number;
  equity: number;
  credit: number;
  margin: number;
  leverage: number;
  currency: string;
  account_id: number | null;
  drift: number;
  volatility: number;
  walk: boolean;
  pascal: boolean;
  string_numbers: boolean;
  expired: boolean;
  expired_status: number;
  expired_body: string | null;
  delay_ms: number;
  synced: boolean;
  unsynced_after_connect: number;
  /** AccountSummary answers still to come unsynced (set by a (re)connect). */
  unsynced_reads: number;
  is_investor: boolean;
  password: string | null;
  error_code: string | null;
  token_idle_ms: number;
  connect_by_token: boolean;
  server_time_offset_min: number | null;
  /** Last MTAPI call with this token, epoch ms (idle expiry). */
  last_call_at: number;
  /** ConnectByToken and ConnectEx calls that connected this account. */
  connects: number;
  /** Random-walk moves so far. */
  moves: number;
  /** AccountSummary requests answered for this session so far. */
  reads: number;
  /** Last change of the figures, epoch ms. */
  updated_at: number;
}

/** Fields that may change on an existing account (everything but the session id). */
export type SimAccountPatch = Partial<Omit<SimAccountInput, "session_id">>;

/** The figures an account reports, derived the way MetaTrader does. */
export interface Figures {
  balance: number;
  credit: number;
  equity: number;
  /** Floating profit: equity - balance - credit. */
  profit: number;
  margin: number;
  freeMargin: number;
  /** equity / margin in %, 0 without margin. */
  marginLevel: number;
}

/** Rounds to cents, as money is shown. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The rounded figures of an account. */
export function figuresOf(a: SimAccount): Figures {
  const margin = round2(a.margin);
  const equity = round2(a.equity);
  return {
    balance: round2(a.balance),
    credit: round2(a.credit),
    equity,
    profit: round2(a.equity - a.balance - a.credit),
    margin,
    freeMargin: round2(a.equity - a.margin),
    marginLevel: margin > 0 ? round2((a.equity / a.margin) * 100) : 0,
  };
}

function resolve(input: SimAccountInput, prev: SimAccount | undefined, now: number): SimAccount {
  const balance = input.balance;
  return {
    session_id: input.session_id,
    login: String(input.login),
    server: input.server,
    balance,
    equity: input.equity ?? balance,
    credit: input.credit ?? prev?.credit ?? 0,
    margin: input.margin ?? prev?.margin ?? round2(balance * 0.01),
    leverage: input.leverage ?? prev?.leverage ?? 100,
    currency: input.currency ?? prev?.currency ?? "USD",
    account_id: input.account_id ?? prev?.account_id ?? null,
    drift: input.drift ?? prev?.drift ?? 0,
    volatility: input.volatility ?? prev?.volatility ?? 0.0003,
    walk: input.walk ?? prev?.walk ?? true,
    pascal: input.pascal ?? prev?.pascal ?? false,
    string_numbers: input.string_numbers ?? prev?.string_numbers ?? false,
    expired: input.expired ?? false,
    expired_status: input.expired_status ?? prev?.expired_status ?? 400,
    expired_body: input.expired_body ?? prev?.expired_body ?? null,
    delay_ms: input.delay_ms ?? prev?.delay_ms ?? 0,
    synced: input.synced ?? prev?.synced ?? true,
    unsynced_after_connect: input.unsynced_after_connect ?? prev?.unsynced_after_connect ?? 0,
    unsynced_reads: prev?.unsynced_reads ?? 0,
    is_investor: input.is_investor ?? prev?.is_investor ?? false,
    password: input.password !== undefined ? input.password : (prev?.password ?? null),
    error_code: input.error_code !== undefined ? input.error_code : (prev?.error_code ?? null),
    token_idle_ms: input.token_idle_ms ?? prev?.token_idle_ms ?? 0,
    connect_by_token: input.connect_by_token ?? prev?.connect_by_token ?? true,
    server_time_offset_min:
      input.server_time_offset_min !== undefined
        ? input.server_time_offset_min
        : (prev?.server_time_offset_min ?? null),
    last_call_at: prev?.last_call_at ?? now,
    connects: prev?.connects ?? 0,
    moves: prev?.moves ?? 0,
    reads: prev?.reads ?? 0,
    updated_at: now,
  };
}

/**
 * One random-walk step: equity *= 1 + drift + volatility * N(0,1), never below 0; with
 * probability `tradeCloseProbability` a trade closes and the balance takes the equity.
 */
export function walkStep(
  a: Pick<SimAccount, "balance" | "equity" | "drift" | "volatility">,
  rng: Rng,
  tradeCloseProbability: number,
): { balance: number; equity: number; tradeClosed: boolean } {
  const equity = Math.max(0, a.equity * (1 + a.drift + a.volatility * normal(rng)));
  const tradeClosed = rng() < tradeCloseProbability;
  return { equity, balance: tradeClosed ? equity : a.balance, tradeClosed };
}

/** The accounts MTAPI knows, keyed by session id. */
export class AccountBook {
  private readonly accounts = new Map<string, SimAccount>();

  /**
   * Adds or replaces an account. Figures (balance, equity) and `expired` come from the input;
   * other fields not given keep their previous value, else their default.
   */
  upsert(input: SimAccountInput, now = Date.now()): SimAccount {
    const account = resolve(input, this.accounts.get(input.session_id), now);
    this.accounts.set(account.session_id, account);
    return account;
  }

  get(sessionId: string): SimAccount | undefined {
    return this.accounts.get(sessionId);
  }

  list(): SimAccount[] {
    return [...this.accounts.values()];
  }

  get size(): number {
    return this.accounts.size;
  }

  /** Changes some fields of an account; `undefined` when the session is unknown. */
  patch(sessionId: string, patch: SimAccountPatch, now = Date.now()): SimAccount | undefined {
    const prev = this.accounts.get(sessionId);
    if (!prev) return undefined;
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: SimAccount = {
      ...prev,
      ...(defined as Partial<SimAccount>),
      login: patch.login === undefined ? prev.login : String(patch.login),
      updated_at: now,
    };
    this.accounts.set(sessionId, next);
    return next;
  }

  remove(sessionId: string): boolean {
    return this.accounts.delete(sessionId);
  }

  clear(): void {
    this.accounts.clear();
  }

  /** Moves every account whose `walk` is on one step; answers the moved accounts. */
  step(rng: Rng, tradeCloseProbability: number, now = Date.now()): SimAccount[] {
    const moved: SimAccount[] = [];
    for (const a of this.accounts.values()) {
      if (!a.walk) continue;
      const { balance, equity } = walkStep(a, rng, tradeCloseProbability);
      a.balance = balance;
      a.equity = equity;
      a.moves += 1;
      a.updated_at = now;
      moved.push(a);
    }
    return moved;
  }
}
