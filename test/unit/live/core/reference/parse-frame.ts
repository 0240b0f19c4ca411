/**
 * REFERENCE (tests only): the frame parser as it was before its field reads were written out
 * per spelling (src/live/core/parse-frame.ts); parse-frame.test.ts checks the two agree on
 * random frames. Not imported by src.
 *
 * Events service frames, parsed once at the edge into a discriminated union
 * (docs/wire-contract.md, "What the service sends"). Liberal in what it accepts: one object or a batched array,
 * text or binary UTF-8, figures at the top level or under `data`, camelCase, snake_case or
 * PascalCase, numbers or numeric strings, epoch-ms or ISO timestamps. Never throws.
 */
import {
  INVALID,
  isRecord,
  pickNumber,
  pickString,
  spellings,
} from "../../../../../src/domain/wire-fields.ts";
import { toEpochMs } from "../../../../../src/risk/reading-time.ts";

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

const EQUITY = spellings("equity");
const BALANCE = spellings("balance");
const SESSION = spellings("sessionId");
/** `id` names a session only when it is a string (a number there is some other id). */
const SESSION_ID = ["id", "Id"];
const LOGIN = spellings("login");
const SERVER = spellings("server");
const ACCOUNT_ID = spellings("accountId");
const SYNCED = spellings("synced");
const TYPE = ["type", "Type", "event", "Event"];
const DATA = ["data", "Data"];
const TS_MS = [
  ...spellings("timestampUTC"),
  "timestamp_utc",
  "ts",
  "timestamp",
  "Timestamp",
  "time",
  "Time",
];

const decoder = new TextDecoder();

function readTs(obj: Record<string, unknown>): number | undefined {
  for (const name of TS_MS) {
    const v = obj[name];
    if (typeof v === "number" && Number.isFinite(v)) return toEpochMs(v);
    if (typeof v === "string" && v.trim() !== "") {
      const asNum = Number(v);
      if (Number.isFinite(asNum)) return toEpochMs(asNum);
      const parsed = Date.parse(v);
      if (Number.isFinite(parsed)) return parsed;
    }
  }
  return undefined;
}

/** A boolean field (`true`/`false`, or those words as strings); undefined otherwise. */
function readBoolean(obj: Record<string, unknown>, names: readonly string[]): boolean | undefined {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === "boolean") return v;
    if (typeof v === "string" && /^(true|false)$/i.test(v.trim()))
      return v.trim().toLowerCase() === "true";
  }
  return undefined;
}

function readKeys(obj: Record<string, unknown>): RouteKeys {
  const keys: RouteKeys = {};
  const session =
    pickString(obj, SESSION) ??
    SESSION_ID.map((n) => obj[n]).find((v): v is string => typeof v === "string" && v !== "");
  if (session !== undefined) keys.sessionId = session;
  const login = pickString(obj, LOGIN);
  if (login !== undefined) keys.login = login;
  const server = pickString(obj, SERVER);
  if (server !== undefined) keys.server = server;
  const accountId = pickNumber(obj, ACCOUNT_ID);
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

/** Parses one decoded JSON value that should be a single message object. */
export function parseItem(value: unknown): FrameItem {
  if (!isRecord(value)) return { kind: "invalid", reason: "message is not a JSON object" };
  const rawType = pickString(value, TYPE);
  const type = rawType?.toLowerCase();
  if (type === "subscribed" || type === "unsubscribed") return { kind: "ack", type };
  if (type === "error") {
    const message =
      typeof value.message === "string" ? value.message : JSON.stringify(value).slice(0, 200);
    return { kind: "service_error", message };
  }
  let data: Record<string, unknown> | undefined;
  for (const name of DATA) {
    const d = value[name];
    if (isRecord(d)) {
      data = d;
      break;
    }
  }
  let equity = pickNumber(value, EQUITY);
  let balance = pickNumber(value, BALANCE);
  if (data) {
    if (equity === undefined) equity = pickNumber(data, EQUITY);
    if (balance === undefined) balance = pickNumber(data, BALANCE);
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
  const synced = readBoolean(value, SYNCED) ?? (data ? readBoolean(data, SYNCED) : undefined);
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
