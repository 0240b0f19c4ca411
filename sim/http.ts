/** Small node:http helpers shared by the MTAPI and control routes. */
import type { IncomingMessage, ServerResponse } from "node:http";

/** An error that answers with its status and `{ error, issues? }`. */
export class HttpError extends Error {
  readonly status: number;
  readonly issues: unknown;

  constructor(status: number, message: string, issues?: unknown) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

/** Reads a JSON body; an empty body reads as `undefined`. Throws `HttpError` 400/413. */
export async function readJson(req: IncomingMessage, maxBytes = 1 << 20): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
}

/** Answers JSON, unless the client is gone or an answer was already sent. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), "application/json");
}

/** Answers text, unless the client is gone or an answer was already sent. */
export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  type = "text/plain",
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Whether the request comes from this machine. */
export function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? "";
  return a === "::1" || a.startsWith("127.") || a.startsWith("::ffff:127.");
}

/** Cancellable timers, all cleared at once when the simulator closes. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Resolves after `ms` (at once for 0); never resolves if cleared first. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(t);
        resolve();
      }, ms);
      this.pending.add(t);
    });
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
