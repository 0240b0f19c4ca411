/**
 * A loopback WebSocket-to-TCP relay: what Neon's proxy does in production, for a local
 * Postgres. The Neon driver opens `ws://127.0.0.1:<port>/v1?address=<host>:<pgport>` and the
 * relay pipes the raw Postgres wire bytes both ways. Dev and test tooling only.
 *
 * Fault injection for tests: `POST /control/down` drops every relayed connection and refuses
 * new ones (the database looks unreachable) until `POST /control/up`.
 */
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type { WebSocketServer as WsServer } from "ws";

// Vitest may resolve "ws" to its browser stub; require() loads the Node build (docs/platform.md).
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof import("ws");

/** Postgres' Terminate message: 'X', then the length 4. */
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

export interface Relay {
  port: number;
  /** What `DB_WS_PROXY` should be set to. */
  proxy: string;
  close(): Promise<void>;
}

/** Starts the relay on 127.0.0.1 (port 0 picks a free one). Only loopback targets are relayed. */
export async function startRelay(port = 0): Promise<Relay> {
  let down = false;
  const http: Server = createServer((req, res) => {
    if (req.method === "POST" && (req.url === "/control/down" || req.url === "/control/up")) {
      down = req.url === "/control/down";
      if (down) for (const client of wss.clients) client.terminate();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ down }));
      return;
    }
    res.writeHead(426).end("WebSocket only");
  });
  const wss: WsServer = new WebSocketServer({ server: http });
  wss.on("connection", (ws, req) => {
    if (down) {
      ws.terminate();
      return;
    }
    const address = new URL(req.url ?? "/", "http://relay").searchParams.get("address") ?? "";
    const [host, pgPort] = address.split(":");
    if (!host || !pgPort || !["127.0.0.1", "localhost", "::1"].includes(host)) {
      ws.close(1008, "address must be a loopback host:port");
      return;
    }
    const tcp = connect(Number(pgPort), host);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    let terminated = false;
    tcp.on("connect", () => {
      for (const chunk of pending.splice(0)) tcp.write(chunk);
      if (terminated) tcp.end();
    });
    tcp.on("data", (data) => ws.readyState === ws.OPEN && ws.send(data));
    tcp.on("close", () => ws.close());
    tcp.on("error", () => ws.terminate());
    ws.on("message", (data: Buffer) => {
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
      // Postgres closes the connection after a Terminate; PGlite's socket server does not, and
      // the Neon driver does not close its WebSocket itself, so each pooled connection would
      // stay open and keep its Worker invocation (a Queue batch: the next batch waits) alive.
      if (data.equals(TERMINATE)) {
        terminated = true;
        if (!tcp.connecting) tcp.end();
      }
    });
    ws.on("close", () => tcp.destroy());
    ws.on("error", () => tcp.destroy());
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  const actual = (http.address() as AddressInfo).port;
  return {
    port: actual,
    proxy: `127.0.0.1:${actual}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
