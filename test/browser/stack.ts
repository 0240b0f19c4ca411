/**
 * The whole system for the browser tests, the screenshots and the console benchmark: the
 * embedded Postgres (in memory), the simulator (no random walk: the caller moves figures)
 * and `wrangler dev` serving the Worker and the built console (dist/console), each on a free
 * loopback port with its own persistence folder. Plus the headless Chromium of Debian's
 * `chromium` package, driven by playwright-core.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { startPostgres, type LocalPostgres } from "../../dev/postgres.ts";
import { startWorker, type LocalWorker } from "../../dev/wrangler.ts";
import { newSealKey } from "../../src/secrets/seal.ts";
import { startSimulator, type Simulator } from "../../sim/simulator.ts";

export const root = fileURLToPath(new URL("../..", import.meta.url));

/** The system browser (Debian's package); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface ConsoleStack {
  base: string;
  token: string;
  pg: LocalPostgres;
  sim: Simulator;
  worker: LocalWorker;
  /** Calls the API with the bearer token; throws on a non-2xx answer. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Calls the simulator's control API; throws on a non-2xx answer. */
  control<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function call<T>(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Starts Postgres, the simulator and wrangler dev (dist/console must be built); `vars` adds
 * Worker vars (e.g. `ENFORCEMENT`).
 */
export async function startConsoleStack(
  opts: { verbose?: boolean; vars?: Record<string, string> } = {},
): Promise<ConsoleStack> {
  mkdirSync(`${root}.wrangler`, { recursive: true });
  const stateDir = mkdtempSync(`${root}.wrangler/console-`);
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    while (stops.length) await stops.pop()!().catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const [pg, sim] = await Promise.all([
      startPostgres(),
      startSimulator({ port: 0, walk: false }),
    ]);
    stops.push(
      () => pg.close(),
      () => sim.close(),
    );
    const token = `console-${crypto.randomUUID()}`;
    const [port, inspector] = [await freePort(), await freePort()];
    const worker = await startWorker({
      port,
      varsFile: `${stateDir}/console.vars`,
      vars: {
        DATABASE_URL: pg.databaseUrl,
        DB_WS_PROXY: pg.wsProxy,
        MTAPI_URL: sim.mtapiUrl,
        EVENTS_URL: sim.eventsUrl,
        ADMIN_TOKEN: token,
        // The console's cookie key and the key sealing secrets at rest (docs/security.md).
        SESSION_SECRET: newSealKey(),
        SECRETS_KEY: newSealKey(),
        ...opts.vars,
      },
      stdio: opts.verbose ? "inherit" : "ignore",
      args: ["--persist-to", `${stateDir}/state`, "--inspector-port", String(inspector)],
      onSpawn: (stop) => stops.push(stop),
    });
    const base = worker.base;
    return {
      base,
      token,
      pg,
      sim,
      worker,
      admin: (method, path, body) =>
        call(`${base}${path}`, method, { authorization: `Bearer ${token}` }, body),
      control: (method, path, body) => call(`${sim.url}/control${path}`, method, {}, body),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Headless Chromium. Playwright gives every launch a fresh temporary profile (its own
 * user-data-dir, removed on close; it refuses a `--user-data-dir` argument).
 */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}
