/**
 * The Events service's connections: WebSocket upgrades (and refusals), per-connection
 * subscriptions, acknowledgements, and every frame sent, with the counters that
 * `/control/state` shows.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createRequire } from "node:module";
import type { RawData, WebSocket as WsSocket } from "ws";
import { ackFrame, errorFrame, parseClientFrame, type ClientRequest } from "./protocol.ts";

// Loaded with require(): under Vitest's workerd project, `import "ws"` resolves to ws's
// browser stub (docs/platform.md); require() always gets the Node build.
const { WebSocket, WebSocketServer } = createRequire(import.meta.url)("ws") as typeof import("ws");
type WebSocket = WsSocket;

/** Paths that accept WebSocket upgrades. */
const WS_PATHS = new Set(["/", "/events", "/events/"]);

/** One client connection. */
export interface Connection {
  /** 1, 2, 3... in accept order. */
  id: number;
  ws: WebSocket;
  /** Session ids this connection subscribed to. */
  subs: Set<string>;
  open: boolean;
}

interface Subscription {
  session_id: string;
  login: string;
  server: string;
  conns: Set<Connection>;
  /** Subscribe requests ever received for this session, over all connections. */
  subscribes: number;
}

/** Connection-side counters, as `/control/state` shows them. */
export interface HubState {
  connections: number;
  total_connections: number;
  refused: number;
  refusing_until: string | null;
  subscriptions: { session_id: string; login: string; server: string; connections: number }[];
  received: { subscribe: number; unsubscribe: number; invalid: number };
  /** `frames`: every frame sent (acks, errors and raw frames included); `events`: account events. */
  sent: { frames: number; events: number };
}

export interface HubOptions {
  log: (line: string) => void;
  /** Called after anything `HubState` shows has changed (for `/control/wait`). */
  onChange: () => void;
}

function rawToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}

export class Hub {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 1 << 20,
  });
  private readonly conns = new Set<Connection>();
  private readonly subs = new Map<string, Subscription>();
  private readonly opts: HubOptions;
  private nextId = 1;
  private totalConnections = 0;
  private refused = 0;
  private refusedUntil = 0;
  private received = { subscribe: 0, unsubscribe: 0, invalid: 0 };
  private sent = { frames: 0, events: 0 };

  constructor(opts: HubOptions) {
    this.opts = opts;
  }

  /** Takes an HTTP upgrade: accepts it on a WebSocket path, unless refusing. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => {}); // a client vanishing mid-handshake is not our problem
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    if (!WS_PATHS.has(path)) return rejectUpgrade(socket, 404, "no WebSocket at this path");
    if (this.isRefusing()) {
      this.refused += 1;
      this.opts.log(`ws refused (${this.refused} so far)`);
      this.opts.onChange();
      return rejectUpgrade(socket, 503, "refusing connections");
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const conn: Connection = { id: this.nextId++, ws, subs: new Set(), open: true };
    this.conns.add(conn);
    this.totalConnections += 1;
    this.opts.log(`ws open #${conn.id} (${this.conns.size} open)`);
    ws.on("message", (data) => this.onMessage(conn, rawToText(data)));
    ws.on("close", (code) => this.forget(conn, `code=${code}`));
    ws.on("error", (err) => this.opts.log(`ws error #${conn.id}: ${err.message}`));
    this.opts.onChange();
  }

  private onMessage(conn: Connection, text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.received.invalid += 1;
      this.send(conn, errorFrame(parsed.message), 0);
      this.opts.onChange();
      return;
    }
    const req = parsed.request;
    if (req.action === "subscribe") this.subscribe(conn, req);
    else this.unsubscribe(conn, req);
    this.send(conn, ackFrame(req), 0);
    this.opts.onChange();
  }

  private subscribe(conn: Connection, req: ClientRequest): void {
    this.received.subscribe += 1;
    let sub = this.subs.get(req.session_id);
    if (!sub) {
      sub = { ...req, conns: new Set(), subscribes: 0 };
      this.subs.set(req.session_id, sub);
    }
    sub.login = req.login || sub.login;
    sub.server = req.server || sub.server;
    sub.subscribes += 1;
    sub.conns.add(conn);
    conn.subs.add(req.session_id);
  }

  private unsubscribe(conn: Connection, req: ClientRequest): void {
    this.received.unsubscribe += 1;
    this.subs.get(req.session_id)?.conns.delete(conn);
    conn.subs.delete(req.session_id);
  }

  /** Removes a connection and its subscriptions (idempotent). */
  private forget(conn: Connection, why: string): void {
    if (!conn.open) return;
    conn.open = false;
    this.conns.delete(conn);
    for (const id of conn.subs) this.subs.get(id)?.conns.delete(conn);
    this.opts.log(`ws close #${conn.id} ${why} subs=${conn.subs.size} (${this.conns.size} open)`);
    this.opts.onChange();
  }

  /**
   * Sends one frame; `events` is how many account events it carries (for the counters).
   * `done` runs once the frame is written to the socket (or failed). Answers false when the
   * connection is not open.
   */
  send(
    conn: Connection,
    payload: string | Buffer,
    events: number,
    done?: (err?: Error) => void,
  ): boolean {
    if (!conn.open || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(payload, { binary: typeof payload !== "string" }, done);
    this.sent.frames += 1;
    this.sent.events += events;
    return true;
  }

  /** Open connections subscribed to the session, in accept order. */
  subscribersOf(sessionId: string): Connection[] {
    return [...(this.subs.get(sessionId)?.conns ?? [])].filter((c) => c.open);
  }

  /** Open connections, in accept order. */
  connections(): Connection[] {
    return [...this.conns];
  }

  /** Sessions subscribed on at least one open connection (cheap: no list is built). */
  subscribedCount(): number {
    let n = 0;
    for (const sub of this.subs.values()) if (sub.conns.size > 0) n++;
    return n;
  }

  /** Subscribe requests ever received for the session (reconnects included). */
  subscribeCount(sessionId: string): number {
    return this.subs.get(sessionId)?.subscribes ?? 0;
  }

  /**
   * Drops connections now (all, or those subscribed to `sessionId`): abruptly without a
   * close frame, or with a close handshake when `code` is given. Answers how many.
   */
  drop(
    opts: { sessionId?: string | undefined; code?: number | undefined; reason?: string } = {},
  ): number {
    const victims =
      opts.sessionId === undefined ? this.connections() : this.subscribersOf(opts.sessionId);
    for (const conn of victims) {
      if (opts.code === undefined) conn.ws.terminate();
      else conn.ws.close(opts.code, opts.reason ?? "");
      this.forget(conn, opts.code === undefined ? "dropped" : `closed code=${opts.code}`);
    }
    return victims.length;
  }

  /** Refuses upgrades (HTTP 503) for `ms` from now and drops every connection; 0 stops refusing. */
  refuseFor(ms: number, now = Date.now()): number {
    this.refusedUntil = ms > 0 ? now + ms : 0;
    this.opts.onChange();
    return ms > 0 ? this.drop() : 0;
  }

  isRefusing(now = Date.now()): boolean {
    return now < this.refusedUntil;
  }

  state(): HubState {
    const subscriptions = [...this.subs.values()]
      .map((s) => ({
        session_id: s.session_id,
        login: s.login,
        server: s.server,
        connections: [...s.conns].filter((c) => c.open).length,
      }))
      .filter((s) => s.connections > 0);
    return {
      connections: this.conns.size,
      total_connections: this.totalConnections,
      refused: this.refused,
      refusing_until: this.isRefusing() ? new Date(this.refusedUntil).toISOString() : null,
      subscriptions,
      received: { ...this.received },
      sent: { ...this.sent },
    };
  }

  /** Drops every connection and clears subscriptions, counters and refusal. */
  reset(): void {
    this.drop();
    this.subs.clear();
    this.totalConnections = 0;
    this.refused = 0;
    this.refusedUntil = 0;
    this.received = { subscribe: 0, unsubscribe: 0, invalid: 0 };
    this.sent = { frames: 0, events: 0 };
    this.opts.onChange();
  }

  /** Drops every connection and stops accepting. */
  close(): void {
    this.drop();
    this.wss.close();
  }
}

function rejectUpgrade(socket: Duplex, status: 404 | 503, message: string): void {
  const body = JSON.stringify({ message });
  const reason = status === 404 ? "Not Found" : "Service Unavailable";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
