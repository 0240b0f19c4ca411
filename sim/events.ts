/**
 * Encoders for the Events service's account events: every shape of the wire contract
 * (docs/wire-contract.md, "What the service sends"), and the weighted mix that picks one.
 */
import { figuresOf, round2, type SimAccount } from "./accounts.ts";
import { intBetween, pickWeighted, type Rng } from "./random.ts";

/** The equity-carrying event shapes. */
export const SHAPES = ["full", "pascal_id", "account_id", "string_equity", "login_server"] as const;
export type Shape = (typeof SHAPES)[number];

/**
 * Relative weights of the shapes. `non_equity` is the weight of an extra event that carries
 * no equity (OrderUpdate), sent just before an equity event with probability
 * non_equity / (sum of all weights).
 */
export type Mix = Record<Shape | "non_equity", number>;

/** Every equity shape equally likely, no non-equity events. */
export const DEFAULT_MIX: Mix = {
  full: 1,
  pascal_id: 1,
  account_id: 1,
  string_equity: 1,
  login_server: 1,
  non_equity: 0,
};

/** A JSON object sent to clients. */
export type EventObject = Record<string, unknown>;

/**
 * Encodes the account's current figures in `shape`, at `now` (epoch ms). An `account_id`
 * event for an account without an account id is sent in the `full` shape instead.
 */
export function encodeEvent(shape: Shape, a: SimAccount, now: number): EventObject {
  if (a.synced === false || a.unsynced_reads > 0) return unsyncedEvent(a, now);
  if (a.server_time_offset_min === null || a.server_time_offset_min === undefined)
    return encoders[shape === "account_id" && a.account_id === null ? "full" : shape](a, now);
  // A feed that stamps events in broker server time (docs/mtapi-bridge.md): hours ahead of UTC.
  const stamp = now + a.server_time_offset_min * 60_000;
  const event = encoders[shape === "account_id" && a.account_id === null ? "full" : shape](
    a,
    stamp,
  );
  if (!("timestampUTC" in event) && !("ts" in event)) event.timestampUTC = stamp;
  return event;
}

/** What the bridge sends right after a reconnect: `synced: false`, figures not yet the account's. */
function unsyncedEvent(a: SimAccount, now: number): EventObject {
  return {
    type: "AccountSummary",
    session_id: a.session_id,
    timestampUTC: now + (a.server_time_offset_min ?? 0) * 60_000,
    data: { balance: 0, equity: 0, profit: 0, margin: 0, synced: false },
  };
}

const encoders: Record<Shape, (a: SimAccount, now: number) => EventObject> = {
  full: (a) => {
    const f = figuresOf(a);
    return {
      type: "OrderProfit",
      session_id: a.session_id,
      login: a.login,
      server: a.server,
      data: {
        balance: f.balance,
        equity: f.equity,
        profit: f.profit,
        margin: f.margin,
        freeMargin: f.freeMargin,
      },
    };
  },
  pascal_id: (a, now) => {
    const f = figuresOf(a);
    return {
      type: "OrderProfit",
      id: a.session_id,
      timestampUTC: now,
      data: { Balance: f.balance, Equity: f.equity, Profit: f.profit },
    };
  },
  account_id: (a, now) => {
    const f = figuresOf(a);
    return {
      event: "equityUpdate",
      account_id: a.account_id,
      equity: f.equity,
      balance: f.balance,
      ts: new Date(now).toISOString(),
    };
  },
  string_equity: (a) => ({
    type: "orderProfit",
    sessionId: a.session_id,
    equity: a.equity.toFixed(2),
  }),
  login_server: (a) => {
    const f = figuresOf(a);
    return {
      type: "EquityUpdate",
      login: a.login,
      server: a.server,
      equity: f.equity,
      balance: f.balance,
    };
  },
};

/** Balance an encoded event carries, if any (for the `string_equity` rule). */
export function balanceCarried(event: EventObject): number | undefined {
  const data = event["data"];
  const source =
    typeof data === "object" && data !== null ? (data as Record<string, unknown>) : event;
  const b = source["balance"] ?? source["Balance"];
  return typeof b === "number" ? b : undefined;
}

/** An event that carries no equity: counted by the monitor, never applied. */
export function encodeNonEquity(a: SimAccount, rng: Rng, now: number): EventObject {
  const ticket = intBetween(rng, 10_000_000, 99_999_999);
  return {
    type: "OrderUpdate",
    session_id: a.session_id,
    login: a.login,
    server: a.server,
    timestampUTC: now,
    data: {
      ticket,
      symbol: ["EURUSD", "XAUUSD", "US30", "GBPJPY"][ticket % 4],
      volume: round2(0.01 * (1 + (ticket % 100))),
      state: ticket % 2 === 0 ? "Placed" : "Filled",
    },
  };
}

/** Draws an equity shape from the mix (`full` when every equity weight is 0). */
export function pickShape(mix: Mix, rng: Rng): Shape {
  const { non_equity: _ignored, ...equity } = mix;
  return pickWeighted(equity, rng) ?? "full";
}

/** Whether to send a non-equity event before the next equity event. */
export function wantsNonEquity(mix: Mix, rng: Rng): boolean {
  const total = Object.values(mix).reduce((s, w) => s + (Number.isFinite(w) && w > 0 ? w : 0), 0);
  return mix.non_equity > 0 && total > 0 && rng() < mix.non_equity / total;
}

/** Whether `s` names an equity shape. */
export function isShape(s: unknown): s is Shape {
  return typeof s === "string" && (SHAPES as readonly string[]).includes(s);
}
