/**
 * A user's own Postgres for `npm run dev`, `npm run db:migrate` and the tests, without
 * ceremony: a `DATABASE_URL` naming a loopback host gets the WebSocket relay (the Worker's
 * driver speaks WebSockets, a local server speaks TCP) started here, and a database that
 * cannot be used yields one paragraph saying which URL and what to run, not a stack trace.
 * A non-loopback URL (Neon) is used as given.
 */
import { connect } from "node:net";
import { openDb, type DbConfig } from "../src/db/client.ts";
import { migrationState } from "./migrate.ts";
import { startRelay } from "./relay.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** True when the URL's host is this machine (so the relay can reach it). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

export interface ConnectedDatabase {
  /** `DATABASE_URL` and `DB_WS_PROXY` for the Worker and the tooling. */
  config: DbConfig;
  /** True when this process started the relay. */
  startedRelay: boolean;
  close(): Promise<void>;
}

/**
 * Makes `url` reachable through the Worker's driver: keeps `wsProxy` when given (the unusual
 * case: a relay of your own), starts a loopback relay for a loopback URL, and uses any other
 * URL as given.
 */
export async function connectDatabase(url: string, wsProxy?: string): Promise<ConnectedDatabase> {
  if (wsProxy || !isLoopbackUrl(url)) {
    return {
      config: { DATABASE_URL: url, DB_WS_PROXY: wsProxy },
      startedRelay: false,
      close: async () => {},
    };
  }
  const relay = await startRelay(0);
  return {
    config: { DATABASE_URL: url, DB_WS_PROXY: relay.proxy },
    startedRelay: true,
    close: () => relay.close(),
  };
}

/** Why a database cannot be used yet: `message` is one paragraph for the user. */
export interface DatabaseProblem {
  kind: "unreachable" | "rejected" | "missing-database" | "unmigrated" | "failed";
  message: string;
}

export interface CheckOptions {
  /** Also require every migration of `drizzle/` to be applied (default true). */
  migrated?: boolean;
  /** Who asks, first word of the message (e.g. `dev`). */
  who?: string;
  /** Time to wait for the server to answer, ms (default 15000). */
  timeoutMs?: number;
}

/**
 * Checks that the database answers, accepts the credentials, exists, and (unless
 * `migrated: false`) has every migration applied. Resolves undefined when it is usable.
 */
export async function checkDatabase(
  config: DbConfig,
  opts: CheckOptions = {},
): Promise<DatabaseProblem | undefined> {
  const who = opts.who ?? "database";
  const url = config.DATABASE_URL;
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      kind: "failed",
      message: `${who}: DATABASE_URL is not a URL; expected postgres://user:password@host:port/database.`,
    };
  }
  const host = parsed.hostname;
  const port = Number(parsed.port || 5432);
  const dbName = decodeURIComponent(parsed.pathname.slice(1)) || parsed.username || "postgres";
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const unreachable = (why: string): DatabaseProblem => ({
    kind: "unreachable",
    message:
      `${who}: cannot reach the Postgres server of DATABASE_URL ${shown} (${why}). ` +
      (isLoopbackUrl(url)
        ? `Start it (Debian/Ubuntu: \`sudo pg_ctlcluster <version> main start\`, see \`pg_lsclusters\`; ` +
          `Homebrew: \`brew services start postgresql\`), or leave DATABASE_URL unset: \`npm run dev\` then uses the embedded PGlite.`
        : `Check the host, the network and that the server is running.`),
  });

  // Probe with plain TCP first: the driver's WebSocket errors carry no reason (an empty
  // ErrorEvent). A loopback server listens on its own port; without a relay the Neon driver
  // dials wss://host:443.
  const direct = isLoopbackUrl(url) || !config.DB_WS_PROXY;
  if (direct) {
    const probePort = isLoopbackUrl(url) ? port : 443;
    const why = await probeTcp(host.replace(/^\[|\]$/g, ""), probePort, timeoutMs);
    if (why) return unreachable(why);
  }

  let state: Awaited<ReturnType<typeof migrationState>>;
  try {
    state = await withTimeout(migrationState(config), timeoutMs);
  } catch (err) {
    const code = errorCode(err);
    const text = describeError(err);
    if (code === "28P01" || code === "28000")
      return {
        kind: "rejected",
        message: `${who}: the server of DATABASE_URL ${shown} refused the login (${text}). Check the user and password in DATABASE_URL.`,
      };
    if (code === "3D000")
      return {
        kind: "missing-database",
        message:
          `${who}: the server of DATABASE_URL ${shown} has no database "${dbName}". ` +
          `Create it: \`createdb -h ${host} -p ${port} -U ${decodeURIComponent(parsed.username || "postgres")} ${dbName}\` ` +
          `(or \`sudo -u postgres createdb ${dbName}\`).`,
      };
    if (code === "timeout") return unreachable(`no answer within ${timeoutMs} ms`);
    if (!code || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|WebSocket|socket|terminated/i.test(text))
      return unreachable(text || "connection failed");
    return {
      kind: "failed",
      message: `${who}: DATABASE_URL ${shown} answered with an error (${code}: ${text}).`,
    };
  }
  if ((opts.migrated ?? true) && state.pending > 0) {
    return {
      kind: "unmigrated",
      message:
        `${who}: the database of DATABASE_URL ${shown} lacks ${state.pending} of ${state.total} migrations. ` +
        `Apply them with the same DATABASE_URL in the environment: \`npm run db:migrate\`.`,
    };
  }
  return undefined;
}

/**
 * `checkDatabase`, and when only the database itself is missing, creates it (through the
 * server's `postgres` database, with the same credentials) and checks again: for a server of
 * your own, where a fresh `createdb` is ceremony. Not for remote servers.
 */
export async function ensureDatabase(
  config: DbConfig,
  opts: CheckOptions = {},
): Promise<{ problem: DatabaseProblem | undefined; created: boolean }> {
  const first = await checkDatabase(config, opts);
  if (first?.kind !== "missing-database") return { problem: first, created: false };
  const url = new URL(config.DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const admin = openDb({ ...config, DATABASE_URL: url.toString() }, 1);
  try {
    await admin.pool.query(`create database "${name.replaceAll('"', '""')}"`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      problem: { ...first, message: `${first.message} (Creating it here failed: ${why}.)` },
      created: false,
    };
  } finally {
    await admin.close();
  }
  return { problem: await checkDatabase(config, opts), created: true };
}

/** Resolves undefined when something listens on host:port, else why not. */
function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once("connect", () => done(undefined));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done(
        err.code === "ECONNREFUSED"
          ? `connection refused on port ${port}`
          : err.code === "ENOTFOUND"
            ? `no such host ${host}`
            : err.message,
      ),
    );
  });
}

/** A readable reason from an Error, or from the WebSocket ErrorEvent the driver may throw. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null) {
    const e = err as { error?: unknown; message?: unknown; type?: unknown };
    if (e.error instanceof Error && e.error.message) return e.error.message;
    if (typeof e.message === "string" && e.message) return e.message;
    if (typeof e.type === "string") return `WebSocket ${e.type}, no reason given`;
  }
  return String(err);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: "timeout" })),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
