/** Test helpers for the simulator: a collecting WebSocket client and a control API caller. */
import { WebSocket } from "ws";
import type { Simulator } from "../../../sim/simulator.ts";

export interface Frame {
  /** Parsed JSON, or the raw text when it is not JSON. */
  data: unknown;
  text: string;
  binary: boolean;
}

/** A WebSocket client that keeps every frame and lets a test await the next ones. */
export class TestClient {
  readonly ws: WebSocket;
  private readonly queue: Frame[] = [];
  private readonly waiting: ((f: Frame) => void)[] = [];
  readonly closed: Promise<number>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (raw, binary) => {
      const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : String(raw);
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // kept as text
      }
      const frame = { data, text, binary };
      const w = this.waiting.shift();
      if (w) w(frame);
      else this.queue.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  }

  static open(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new TestClient(ws);
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next frame (already received or coming), or a rejection after `timeoutMs`. */
  next(timeoutMs = 2000): Promise<Frame> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const w = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(w);
    });
  }

  /** Frames received and not yet taken. */
  pending(): Frame[] {
    return [...this.queue];
  }

  /** Subscribes and returns the acknowledgement. */
  async subscribe(session_id: string, login = "1", server = "Sim-Demo"): Promise<Frame> {
    this.send({ action: "subscribe", login, server, session_id });
    return this.next();
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * Calls the control API; answers the status and the parsed body (typed loosely on purpose:
 * tests read into it and assertions check it).
 */
export async function control(
  sim: Simulator,
  path: string,
  body?: unknown,
  method = body === undefined ? "GET" : "POST",
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.url}/control${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A small account for tests. */
export function account(session_id: string, extra: Record<string, unknown> = {}) {
  return {
    session_id,
    login: "11112222",
    server: "Sim-Demo",
    balance: 100_000,
    equity: 99_000,
    ...extra,
  };
}
