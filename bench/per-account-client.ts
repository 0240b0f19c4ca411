/**
 * The design the seed replaced, as a client: one WebSocket per account to the Events service,
 * each subscribing its own account and parsing what it receives with `parseFrame`. Runs as a
 * child process of events.ts (its own event loop and core, like a separate service would),
 * driven over IPC:
 *
 *   parent -> { type: "open", url, accounts: [{ session_id, login, server }] }
 *   child  -> { type: "ready", sockets, ms }     every socket open and its subscribe acknowledged
 *   parent -> { type: "count" }
 *   child  -> { type: "counts", events, frames, invalid, cpu_s, rss }
 *   parent -> { type: "close" }                   closes every socket and exits
 */
import { createRequire } from "node:module";
import { parseFrame } from "../src/live/core/parse-frame.ts";
import type { RawData, WebSocket as WsSocket } from "ws";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof import("ws");

interface Account {
  session_id: string;
  login: string;
  server: string;
}

type Command =
  { type: "open"; url: string; accounts: Account[] } | { type: "count" } | { type: "close" };

/** Sockets opened at once while connecting. */
const OPEN_CONCURRENCY = 200;

const sockets: WsSocket[] = [];
let events = 0;
let frames = 0;
let invalid = 0;

function send(msg: unknown): void {
  process.send?.(msg);
}

function onMessage(data: RawData, isBinary: boolean): void {
  frames++;
  const text = isBinary ? Buffer.from(data as Buffer) : (data as Buffer).toString("utf8");
  for (const item of parseFrame(text)) {
    if (item.kind === "event") events++;
    else if (item.kind === "invalid") invalid++;
  }
}

function openOne(url: string, a: Account): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.once("error", reject);
    ws.once("open", () => {
      ws.send(
        JSON.stringify({
          action: "subscribe",
          login: a.login,
          server: a.server,
          session_id: a.session_id,
        }),
      );
    });
    // The first frame is the acknowledgement; everything after is counted.
    ws.once("message", () => {
      ws.off("error", reject);
      ws.on("error", () => {});
      ws.on("message", onMessage);
      resolve();
    });
  });
}

async function openAll(url: string, accounts: Account[]): Promise<void> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) await openOne(url, accounts[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, accounts.length) }, worker));
  send({ type: "ready", sockets: sockets.length, ms: Math.round(performance.now() - started) });
}

process.on("message", (cmd: Command) => {
  if (cmd.type === "open") {
    openAll(cmd.url, cmd.accounts).catch((err: unknown) =>
      send({ type: "error", message: String(err) }),
    );
  } else if (cmd.type === "count") {
    const cpu = process.cpuUsage();
    send({
      type: "counts",
      events,
      frames,
      invalid,
      cpu_s: (cpu.user + cpu.system) / 1e6,
      rss: process.memoryUsage().rss,
    });
  } else {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
