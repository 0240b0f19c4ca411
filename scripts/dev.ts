/**
 * `npm run dev`: the whole system on this machine with one command.
 *
 * - Postgres: the embedded PGlite with its data in `.data/pg` (kept between runs), migrated
 *   on start; or `DATABASE_URL`: a loopback one (your own Postgres) gets its WebSocket relay,
 *   its database (when missing) and its migrations here, any other (Neon) must be migrated already (`npm run db:migrate`).
 *   `DB_WS_PROXY` names a relay of your own instead of the one started here.
 * - MTAPI and Events: `MTAPI_URL` / `EVENTS_URL`, or the bundled simulator with a random walk.
 * - The demo (docs/demo.md) when the bundled simulator is in use: calm accounts on mixed
 *   presets plus the scripted ones of sim/demo-script.ts (seeded when the database lacks them;
 *   those a previous start left breached are reset), and a note of what to watch, printed once.
 * - `ENFORCEMENT`: `on` with the bundled simulator (the demo's enforced account; every other
 *   account's own setting is off), otherwise from the environment (default off).
 * - `LIVE_SHARDS` and `STREAM_ALL` from the environment when set (wrangler.toml's otherwise).
 * - `wrangler dev` on `PORT` (default 8787), with the cron fired every minute through
 *   `/__scheduled` (wrangler dev does not run cron triggers by itself).
 * - `DEV_DATA_DIR`: another folder for what `.data/` holds (and wrangler's local state), for a
 *   second stack beside yours (test/demo/demo.test.ts); `INSPECTOR_PORT`: wrangler's inspector.
 * Ctrl-C stops every process it started.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  checkDatabase,
  connectDatabase,
  ensureDatabase,
  isLoopbackUrl,
  redactUrl,
} from "../dev/database.ts";
import { migrateDatabase } from "../dev/migrate.ts";
import { startPostgres, type LocalPostgres } from "../dev/postgres.ts";
import { narrate } from "../dev/narrate.ts";
import { playDemo, registerAccountsInSimulator, replayDemo, seedDemo } from "../dev/seed.ts";
import { loadSealKeys } from "../src/secrets/seal.ts";
import { playTradesDemo, seedTradesDemo } from "../dev/trades-demo.ts";
import {
  clearEnforcementDemo,
  enforceDemoAccount,
  playEnforcementDemo,
} from "../dev/enforcement-demo.ts";
import { registerSink, startWebhookSink, type WebhookSink } from "../dev/webhook-sink.ts";
import { startWorker } from "../dev/wrangler.ts";
import type { DbConfig } from "../src/db/client.ts";
import { startSimulator, type Simulator } from "../sim/simulator.ts";
import { startBridgeDemo } from "../sim/bridge-demo.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const ownDataDir = process.env.DEV_DATA_DIR?.replace(/\/+$/, "");
const dataDir = ownDataDir ?? `${root}.data`;
const port = Number(process.env.PORT ?? 8787);
const cleanups: Array<() => Promise<void>> = [];

function say(line: string): void {
  console.log(`[dev] ${line}`);
}

async function shutdown(code: number): Promise<never> {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

/**
 * `DATABASE_URL` given: a loopback one gets its relay and its migrations here; any other
 * (Neon) is checked, not changed. Exits with one paragraph when the database is not usable.
 */
async function openOwnDatabase(url: string, proxy: string | undefined): Promise<DbConfig> {
  const database = await connectDatabase(url, proxy);
  cleanups.push(() => database.close());
  const local = isLoopbackUrl(url);
  const opts = { migrated: !local, who: "dev" };
  const { problem, created } = local
    ? await ensureDatabase(database.config, opts)
    : { problem: await checkDatabase(database.config, opts), created: false };
  if (problem) {
    console.error(problem.message);
    return shutdown(1);
  }
  if (created) say(`created the database of DATABASE_URL`);
  if (local) {
    const applied = await migrateDatabase(database.config).catch((err: unknown) => {
      console.error(
        `[dev] migrating ${redactUrl(url)} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return shutdown(1);
    });
    if (applied > 0) say(`applied ${applied} migration(s)`);
  }
  say(
    `Postgres from DATABASE_URL ${redactUrl(url)}` +
      (database.startedRelay ? `, relay ${database.config.DB_WS_PROXY}` : ""),
  );
  return database.config;
}

mkdirSync(dataDir, { recursive: true });

let databaseUrl = process.env.DATABASE_URL;
let wsProxy = process.env.DB_WS_PROXY || undefined;
if (!databaseUrl) {
  const pg: LocalPostgres = await startPostgres({ dataDir: `${dataDir}/pg` });
  cleanups.push(() => pg.close());
  databaseUrl = pg.databaseUrl;
  wsProxy = pg.wsProxy;
  say(
    `embedded Postgres (PGlite, data in ${ownDataDir ? dataDir : ".data"}/pg) at ${redactUrl(databaseUrl)}, relay ${wsProxy}`,
  );
} else {
  const own = await openOwnDatabase(databaseUrl, wsProxy);
  wsProxy = own.DB_WS_PROXY;
}
const db = { DATABASE_URL: databaseUrl, DB_WS_PROXY: wsProxy };

let mtapiUrl = process.env.MTAPI_URL;
let eventsUrl = process.env.EVENTS_URL;
let sim: Simulator | undefined;
if (!mtapiUrl || !eventsUrl) {
  // Every frame shape of the protocol shows up in dev: batches, binary frames, non-equity events.
  const simOptions = {
    walk: true,
    seed: Date.now() % 100_000,
    batchProbability: 0.2,
    binaryProbability: 0.1,
    mix: { non_equity: 0.3 },
    log: (l: string) => say(`sim: ${l}`),
  };
  const simPort = Number(process.env.SIM_PORT ?? 8790);
  sim = await startSimulator({ ...simOptions, port: simPort }).catch(() =>
    startSimulator({ ...simOptions, port: 0 }),
  );
  writeFileSync(`${dataDir}/sim-url`, `${sim.url}\n`);
  const s = sim;
  cleanups.push(() => s.close());
  mtapiUrl ??= sim.mtapiUrl;
  eventsUrl ??= sim.eventsUrl;
  say(`simulator at ${sim.url} (control API: ${sim.url}/control/state)`);
}

/** A secret from the environment, else one made once and kept in `.data/<file>`. */
function devSecret(fromEnv: string | undefined, file: string, make: () => string): string {
  if (fromEnv) return fromEnv;
  const path = `${dataDir}/${file}`;
  if (!existsSync(path)) writeFileSync(path, `${make()}\n`, { mode: 0o600 });
  return readFileSync(path, "utf8").trim();
}

const adminToken = devSecret(
  process.env.ADMIN_TOKEN,
  "admin-token",
  () => `dev-${randomBytes(12).toString("hex")}`,
);
// The console's cookie key and the key sealing secrets at rest (docs/security.md): made once
// per checkout, kept in .data so sessions and sealed values survive a restart.
const sessionSecret = devSecret(process.env.SESSION_SECRET, "session-secret", () =>
  randomBytes(32).toString("hex"),
);
const secretsKey = devSecret(process.env.SECRETS_KEY, "secrets-key", () =>
  randomBytes(32).toString("hex"),
);

let demo: ReturnType<typeof playDemo> | undefined;
if (sim) {
  // Demo tokens are stored sealed, as the API stores them (docs/security.md).
  const sealKeys = await loadSealKeys({
    SECRETS_KEY: secretsKey,
    SECRETS_KEY_PREVIOUS: process.env.SECRETS_KEY_PREVIOUS,
  });
  // The enforcement scene plays on every start: its account is made anew (docs/enforcement.md).
  await clearEnforcementDemo(db);
  const seeded = await seedDemo(db, sealKeys);
  if (seeded > 0) say(`seeded ${seeded} demo accounts`);
  await enforceDemoAccount(db);
  const registered = await registerAccountsInSimulator(db, sim, sealKeys);
  say(`${registered} accounts known to the simulator`);
  demo = playDemo(sim);
  // The trades demo (docs/trades.md, "Demo"): soft violations, an escalation, a news breach.
  const tradesStart = Date.now();
  await seedTradesDemo(db, tradesStart, sealKeys);
  const stopTrades = await playTradesDemo(sim.url, say, tradesStart);
  cleanups.push(async () => stopTrades());
  const stopEnforcement = await playEnforcementDemo(sim.url, say);
  cleanups.push(async () => stopEnforcement());
  const stopHabits = await startBridgeDemo(sim.url, { log: say });
  cleanups.push(async () => stopHabits());
}

// WEBHOOK_SINK=1: a local receiver that prints every alert and checks its signature.
let sink: WebhookSink | undefined;
if (process.env.WEBHOOK_SINK === "1") {
  const sinkPort = Number(process.env.WEBHOOK_SINK_PORT ?? 8791);
  const print = (line: string) => say(`webhook: ${line}`);
  sink = await startWebhookSink({ port: sinkPort, print }).catch(() =>
    startWebhookSink({ port: 0, print }),
  );
  const s = sink;
  cleanups.push(() => s.close());
}

say("starting wrangler dev ...");
const worker = await startWorker({
  port,
  varsFile: `${dataDir}/dev.vars`,
  vars: {
    DATABASE_URL: databaseUrl,
    DB_WS_PROXY: wsProxy,
    MTAPI_URL: mtapiUrl,
    EVENTS_URL: eventsUrl,
    ADMIN_TOKEN: adminToken,
    SESSION_SECRET: sessionSecret,
    SECRETS_KEY: secretsKey,
    SECRETS_KEY_PREVIOUS: process.env.SECRETS_KEY_PREVIOUS,
    // A local run: webhooks may call http:// receivers on loopback (never set in production).
    ALLOW_LOOPBACK_WEBHOOKS: "1",
    // Enforcement (docs/enforcement.md): with the bundled simulator the demo's ceiling is `on`
    // (only the enforcement scene's account has its own `enforcement` on: every other demo
    // account stays `off`); against a real bridge only what the environment says (default off).
    ENFORCEMENT: process.env.ENFORCEMENT ?? (sim ? "on" : undefined),
    // From the environment when set (the env file overrides wrangler.toml's [vars]).
    LIVE_SHARDS: process.env.LIVE_SHARDS,
    STREAM_ALL: process.env.STREAM_ALL,
  },
  args: [
    ...(ownDataDir ? ["--persist-to", `${dataDir}/wrangler`] : []),
    ...(process.env.INSPECTOR_PORT ? ["--inspector-port", process.env.INSPECTOR_PORT] : []),
  ],
  onSpawn: (stop) => cleanups.push(stop),
}).catch(async (err: unknown) => {
  say(`could not start wrangler dev: ${err instanceof Error ? err.message : String(err)}`);
  return shutdown(1);
});
void worker.exited.then((code) => {
  say(`wrangler dev exited (${code ?? "signal"})`);
  void shutdown(code ?? 1);
});

const base = worker.base;
if (demo) {
  const replayed = await replayDemo(db, base, adminToken).catch(() => 0);
  if (replayed > 0) say(`reset ${replayed} demo account(s) an earlier start left breached`);
}
const fireCron = () => worker.fireCron().catch(() => {});
// Fire now, then at the top of every minute, like the real trigger.
void fireCron();
setTimeout(
  () => {
    void fireCron();
    setInterval(fireCron, 60_000);
  },
  60_000 - (Date.now() % 60_000),
);

if (sink) {
  const id = await registerSink(base, adminToken, sink);
  writeFileSync(`${dataDir}/sink-url`, `${sink.url}\n`);
  say(
    `webhook sink at ${sink.hookUrl("dev")} (endpoint ${id}, every event); deliveries print here`,
  );
}

say(`Drawdown Sentinel: ${base}  (health: ${base}/health)`);
if (process.env.LIVE_SHARDS || process.env.STREAM_ALL)
  say(
    `live monitor: LIVE_SHARDS=${process.env.LIVE_SHARDS ?? "1"} STREAM_ALL=${process.env.STREAM_ALL ?? "0"}`,
  );
say(`console: ${base}/  (sign in with the admin token)`);
say(`admin token: ${adminToken}`);
say(`try: curl -H "Authorization: Bearer ${adminToken}" ${base}/v1/accounts`);
if (demo) for (const line of narrate(base, demo)) console.log(line);
