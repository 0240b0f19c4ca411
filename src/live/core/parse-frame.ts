/**
 * Events service frames, parsed once at the edge into a discriminated union
 * (docs/wire-contract.md, "What the service sends"). Liberal in what it accepts: one object or a batched array,
 * text or binary UTF-8, figures at the top level or under `data`, camelCase, snake_case or
 * PascalCase, numbers or numeric strings, epoch-ms or ISO timestamps. Never throws.
 */
import { INVALID, isRecord, toFiniteNumber } from "../../domain/wire-fields.ts";
import { toEpochMs } from "../../risk/reading-time.ts";

/** The keys an event may be routed by, in routing order. */
export interface RouteKeys {
  sessionId?: string;
  login?: string;
  server?: string;
  accountId?: number;
}

/**
 * The order part of an `OrderUpdate` (docs/trades.md, "Ingest"), passed on as received: the
 * trades side parses it off the equity path.
 */
export interface OrderPayload {
  update?: unknown;
  openedOrders?: unknown;
}

export type FrameItem =
  | {
      kind: "event";
      keys: RouteKeys;
      equity: number;
      balance?: number;
      ts?: number;
      orders?: OrderPayload;
      /** `false` when the bridge says the figures are not yet the account's (never a reading). */
      synced?: boolean;
    }
  /** An account event of a type that carries no equity (e.g. `OrderUpdate`): counted, not applied. */
  | { kind: "no_equity"; keys: RouteKeys; type: string; orders?: OrderPayload }
  | { kind: "ack"; type: "subscribed" | "unsubscribed" }
  | { kind: "service_error"; message: string }
  | { kind: "invalid"; reason: string };

// The field reads are written out per spelling (docs/wire-contract.md, "What the service
// sends"): each `obj.name` is a property access of its own, which the engine learns for the
// frames' few shapes, where a loop over a list of names is one generic lookup per name and
// frame (docs/benchmarks/2026-12-06-hot-path-pm.md). The spellings and their order are those of
// `spellings()` (domain/wire-fields.ts): camelCase, PascalCase, snake_case, first one wins.

/** `pickNumber`'s answer for one spelling's value: undefined when absent (try the next). */
function num(v: unknown): number | undefined | typeof INVALID {
  return v === undefined || v === null ? undefined : toFiniteNumber(v);
}

/** `pickString`'s answer for one spelling's value: undefined when not a usable string. */
function str(v: unknown): string | undefined {
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

function equityOf(o: Record<string, unknown>): number | undefined | typeof INVALID {
  return num(o.equity) ?? num(o.Equity);
}

function balanceOf(o: Record<string, unknown>): number | undefined | typeof INVALID {
  return num(o.balance) ?? num(o.Balance);
}

/** A boolean (`true`/`false`, or those words as strings); undefined otherwise. */
function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v.trim()))
    return v.trim().toLowerCase() === "true";
  return undefined;
}

/** `synced` / `Synced`. */
function syncedOf(o: Record<string, unknown>): boolean | undefined {
  return bool(o.synced) ?? bool(o.Synced);
}

const decoder = new TextDecoder();

/** One timestamp spelling's value as epoch ms, or undefined (try the next). */
function tsValue(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return toEpochMs(v);
  if (typeof v === "string" && v.trim() !== "") {
    const asNum = Number(v);
    if (Number.isFinite(asNum)) return toEpochMs(asNum);
    const parsed = Date.parse(v);
    if (Number.isFinite(parsed)) return parsed;
  }
  return undefined;
}

/** `timestampUTC` in its spellings, then `timestamp_utc`, `ts`, `timestamp`, `time`. */
function readTs(o: Record<string, unknown>): number | undefined {
  return (
    tsValue(o.timestampUTC) ??
    tsValue(o.TimestampUTC) ??
    tsValue(o.timestamp_u_t_c) ??
    tsValue(o.timestamp_utc) ??
    tsValue(o.ts) ??
    tsValue(o.timestamp) ??
    tsValue(o.Timestamp) ??
    tsValue(o.time) ??
    tsValue(o.Time)
  );
}

/** `id` names a session only when it is a non-empty string (a number there is some other id). */
function sessionIdOf(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function readKeys(obj: Record<string, unknown>): RouteKeys {
  const keys: RouteKeys = {};
  const session =
    str(obj.sessionId) ??
    str(obj.SessionId) ??
    str(obj.session_id) ??
    sessionIdOf(obj.id) ??
    sessionIdOf(obj.Id);
  if (session !== undefined) keys.sessionId = session;
  const login = str(obj.login) ?? str(obj.Login);
  if (login !== undefined) keys.login = login;
  const server = str(obj.server) ?? str(obj.Server);
  if (server !== undefined) keys.server = server;
  const accountId = num(obj.accountId) ?? num(obj.AccountId) ?? num(obj.account_id);
  if (typeof accountId === "number" && Number.isInteger(accountId)) keys.accountId = accountId;
  return keys;
}

/** `data.update` / `data.openedOrders` (any case), or undefined: two lookups on the common path. */
function ordersOf(data: Record<string, unknown>): OrderPayload | undefined {
  const update = data.update ?? data.Update;
  const openedOrders = data.openedOrders ?? data.OpenedOrders ?? data.opened_orders;
  if (update === undefined && openedOrders === undefined) return undefined;
  const orders: OrderPayload = {};
  if (update !== undefined) orders.update = update;
  if (openedOrders !== undefined) orders.openedOrders = openedOrders;
  return orders;
}

/** The lowercased type when it may be an acknowledgement or an error (their lengths), else undefined. */
function controlType(rawType: string | undefined): string | undefined {
  if (rawType === undefined) return undefined;
  const n = rawType.length;
  return n === 5 || n === 10 || n === 12 ? rawType.toLowerCase() : undefined;
}

/** Parses one decoded JSON value that should be a single message object. */
export function parseItem(value: unknown): FrameItem {
  if (!isRecord(value)) return { kind: "invalid", reason: "message is not a JSON object" };
  const rawType = str(value.type) ?? str(value.Type) ?? str(value.event) ?? str(value.Event);
  // Only "error" (5), "subscribed" (10) and "unsubscribed" (12) matter here: no lowercase copy
  // of every event's type.
  const type = controlType(rawType);
  if (type === "subscribed" || type === "unsubscribed") return { kind: "ack", type };
  if (type === "error") {
    const message =
      typeof value.message === "string" ? value.message : JSON.stringify(value).slice(0, 200);
    return { kind: "service_error", message };
  }
  const data = isRecord(value.data) ? value.data : isRecord(value.Data) ? value.Data : undefined;
  let equity = equityOf(value);
  let balance = balanceOf(value);
  if (data) {
    if (equity === undefined) equity = equityOf(data);
    if (balance === undefined) balance = balanceOf(data);
  }
  const keys = readKeys(value);
  if (
    data &&
    keys.sessionId === undefined &&
    keys.login === undefined &&
    keys.accountId === undefined
  ) {
    Object.assign(keys, readKeys(data));
  }
  if (equity === INVALID) return { kind: "invalid", reason: "equity is not a finite number" };
  if (balance === INVALID) return { kind: "invalid", reason: "balance is not a finite number" };
  const orders = data ? ordersOf(data) : undefined;
  if (equity === undefined) {
    if (rawType === undefined)
      return { kind: "invalid", reason: "message has neither a type nor an equity" };
    const noEquity: FrameItem = { kind: "no_equity", keys, type: rawType };
    if (orders !== undefined) noEquity.orders = orders;
    return noEquity;
  }
  const item: FrameItem = { kind: "event", keys, equity };
  if (balance !== undefined) item.balance = balance;
  if (orders !== undefined) item.orders = orders;
  const ts = readTs(value) ?? (data ? readTs(data) : undefined);
  if (ts !== undefined) item.ts = ts;
  const synced = syncedOf(value) ?? (data ? syncedOf(data) : undefined);
  if (synced !== undefined) item.synced = synced;
  return item;
}

/** Parses one WebSocket frame (text, or binary UTF-8 JSON) into its items. */
export function parseFrame(frame: string | ArrayBuffer | ArrayBufferView): FrameItem[] {
  let text: string;
  if (typeof frame === "string") text = frame;
  else {
    try {
      text = decoder.decode(frame);
    } catch {
      return [{ kind: "invalid", reason: "binary frame is not UTF-8" }];
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [{ kind: "invalid", reason: "frame is not JSON" }];
  }
  if (Array.isArray(value)) return value.length ? value.map(parseItem) : [];
  return [parseItem(value)];
}
