/**
 * A local webhook receiver for `npm run dev` (`WEBHOOK_SINK=1`), the workerd tests and the
 * alerts benchmark. Every `POST /hooks/<name>` is recorded (headers, body, arrival time) and
 * its Standard Webhooks signature checked with the `standardwebhooks` package when the sink
 * knows that hook's secret. Each hook answers 200 unless told otherwise: a script of status
 * codes (`[503, 200]`: 503 first, then 200) or `hang` (never answer: a timeout for the sender).
 *
 * Control API (loopback, JSON): `PUT /control/hooks/<name>` `{secret?, script?, then?}`,
 * `GET /control/hooks/<name>/received`, `DELETE /control/hooks/<name>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One delivery as the sink saw it. */
export interface Received {
  hook: string;
  /** Epoch ms of arrival. */
  at: number;
  headers: Record<string, string>;
  body: string;
  /** Signature check: true/false, or null when the sink has no secret for the hook. */
  verified: boolean | null;
  /** The status the sink answered (null: it hung). */
  answered: number | null;
}

interface Hook {
  secret?: string;
  script: Array<number | "hang">;
  then: number | "hang";
  received: Received[];
}

export interface SinkOptions {
  port?: number;
  /** Prints one line per delivery (dev). */
  print?: (line: string) => void;
  /** Called on every delivery (benchmarks). */
  onDelivery?: (r: Received) => void;
}

export interface WebhookSink {
  /** Base URL, e.g. `http://127.0.0.1:8791`; hooks live under `/hooks/<name>`. */
  url: string;
  hookUrl(name: string): string;
  configure(
    name: string,
    cfg: { secret?: string; script?: Array<number | "hang">; then?: number | "hang" },
  ): void;
  received(name: string): Received[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function verify(
  secret: string | undefined,
  body: string,
  headers: Record<string, string>,
): boolean | null {
  if (!secret) return null;
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

function describe(r: Received): string {
  let what = "?";
  try {
    const parsed = JSON.parse(r.body) as {
      type?: string;
      text?: string;
      data?: { account?: { login: string; server: string } };
    };
    const account = parsed.data?.account;
    what = parsed.type
      ? `${parsed.type}${account ? ` ${account.login}@${account.server}` : ""}`
      : parsed.text
        ? `slack: ${parsed.text}`
        : "?";
  } catch {
    // not JSON: shown as ?
  }
  const sig =
    r.verified === null
      ? "unsigned/unknown secret"
      : r.verified
        ? "signature OK"
        : "signature INVALID";
  return `${r.hook} ${what} id=${r.headers["webhook-id"] ?? "-"} ${sig} -> ${r.answered ?? "no answer"}`;
}

/** Starts the sink on loopback. */
export async function startWebhookSink(opts: SinkOptions = {}): Promise<WebhookSink> {
  const hooks = new Map<string, Hook>();
  const hook = (name: string): Hook => {
    let h = hooks.get(name);
    if (!h) hooks.set(name, (h = { script: [], then: 200, received: [] }));
    return h;
  };
  const hanging = new Set<ServerResponse>();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://sink");
    const body = await readBody(req);
    const control = /^\/control\/hooks\/([\w.-]+)(\/received)?$/.exec(url.pathname);
    if (control) {
      const name = control[1]!;
      if (req.method === "PUT") {
        const cfg = JSON.parse(body || "{}") as Partial<Hook>;
        const h = hook(name);
        if (cfg.secret !== undefined) h.secret = cfg.secret;
        if (cfg.script !== undefined) h.script = [...cfg.script];
        if (cfg.then !== undefined) h.then = cfg.then;
        return send(res, 200, { ok: true });
      }
      if (req.method === "GET" && control[2]) return send(res, 200, hook(name).received);
      if (req.method === "DELETE") {
        hooks.delete(name);
        return send(res, 200, { ok: true });
      }
    }
    const hookPath = /^\/hooks\/([\w.-]+)$/.exec(url.pathname);
    if (req.method === "POST" && hookPath) {
      const h = hook(hookPath[1]!);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const action = h.script.shift() ?? h.then;
      const r: Received = {
        hook: hookPath[1]!,
        at: Date.now(),
        headers,
        body,
        verified: verify(h.secret, body, headers),
        answered: action === "hang" ? null : action,
      };
      h.received.push(r);
      opts.onDelivery?.(r);
      opts.print?.(describe(r));
      if (action === "hang") {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      return send(res, action, { ok: action < 300 });
    }
    send(res, 404, { error: "no such hook" });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    hookUrl: (name) => `${base}/hooks/${name}`,
    configure(name, cfg) {
      const h = hook(name);
      if (cfg.secret !== undefined) h.secret = cfg.secret;
      if (cfg.script !== undefined) h.script = [...cfg.script];
      if (cfg.then !== undefined) h.then = cfg.then;
    },
    received: (name) => hook(name).received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The description that marks the endpoint `npm run dev` registers for its sink. */
const DEV_DESCRIPTION = "dev sink (npm run dev, WEBHOOK_SINK=1)";

/**
 * Registers `hook` of the sink as an endpoint for every event through the admin API, replacing
 * the one an earlier dev run left (its port may have changed), and teaches the sink the secret
 * so it can verify signatures. Returns the endpoint id.
 */
export async function registerSink(
  base: string,
  token: string,
  sink: WebhookSink,
  hook = "dev",
): Promise<number> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const list = (await (await fetch(`${base}/v1/webhooks`, { headers })).json()) as {
    items: Array<{ id: number; description: string | null }>;
  };
  for (const e of list.items.filter((e) => e.description === DEV_DESCRIPTION))
    await fetch(`${base}/v1/webhooks/${e.id}`, { method: "DELETE", headers });
  const res = await fetch(`${base}/v1/webhooks`, {
    method: "POST",
    headers,
    body: JSON.stringify({ url: sink.hookUrl(hook), events: ["*"], description: DEV_DESCRIPTION }),
  });
  if (res.status !== 201)
    throw new Error(`registering the sink: ${res.status} ${await res.text()}`);
  const created = (await res.json()) as { id: number; secret: string };
  sink.configure(hook, { secret: created.secret });
  return created.id;
}
