/**
 * The simulator: MTAPI REST, the Events service WebSocket and the control API on one
 * loopback port, over one account book. `startSimulator` runs it in-process (tests, the
 * dev script); `sim/main.ts` is the CLI.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AccountBook, type SimAccountInput } from "./accounts.ts";
import { applyConfigPatch, DEFAULT_CONFIG, type SimConfig, type SimConfigPatch } from "./config.ts";
import { handleControl, type ControlHost } from "./control.ts";
import type { Mix, Shape } from "./events.ts";
import { sendJson, Timers } from "./http.ts";
import { Hub } from "./hub.ts";
import { handleMtapi, type MtapiHost } from "./mtapi.ts";
import { CloseBook, type CloseHost, handleOrderClose } from "./order-close.ts";
import { handleOrders, OrderBook } from "./orders.ts";
import { Publisher } from "./publisher.ts";
import { mulberry32 } from "./random.ts";
import type { SimScript } from "./script.ts";
import { emptyRestState, type SimState } from "./state.ts";
import { Waiters } from "./wait.ts";

export interface SimulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** PRNG seed of the walk, the event mix and the framing. Default 1. */
  seed?: number;
  /** Random-walk period, ms. Default 1000. */
  tickMs?: number;
  /** Run the random walk on a timer. Default false (tests move figures themselves). */
  walk?: boolean;
  /** Shape weights, merged over the default (every equity shape 1, non_equity 0). */
  mix?: Partial<Mix>;
  /** Probability (0..1) a frame batches pending events into a JSON array. Default 0. */
  batchProbability?: number;
  /** Most events in a batched frame. Default 10. */
  maxBatch?: number;
  /** Probability (0..1) a frame is sent binary. Default 0. */
  binaryProbability?: number;
  /** Probability per tick and account that a trade closes (balance := equity). Default 0.02. */
  tradeCloseProbability?: number;
  /** Accounts in the book at start (not restored by reset). */
  accounts?: SimAccountInput[];
  /** Scripts playing from the start, on the walk's ticks (sim/script.ts); reset stops them. */
  scripts?: SimScript[];
  /** One line per connection open/close and per control action. Default silent. */
  log?: (line: string) => void;
  /**
   * How an MTAPI answer waits out its delay (ms); default a real timer. Tests pass their own
   * to see the delay asked for and to release the answer when they choose.
   */
  sleep?: (ms: number) => Promise<void>;
}

export interface Simulator {
  port: number;
  /** http://host:port */
  url: string;
  /** MTAPI base URL (same as `url`). */
  mtapiUrl: string;
  /** ws://host:port/events */
  eventsUrl: string;
  book: AccountBook;
  /** Same as `GET /control/state`. */
  state(): SimState;
  /** Sessions subscribed on an open connection: `state().subscriptions.length`, without the list. */
  subscriptionCount(): number;
  /** Current configuration. */
  config(): SimConfig;
  /** Same as `POST /control/config` (snake_case fields). */
  configure(patch: SimConfigPatch): SimConfig;
  /**
   * Sends the account's current figures to its subscribers in `shape` (default: drawn from
   * the mix). Answers how many connections got it (0 if unknown or unsubscribed).
   */
  emitAccount(sessionId: string, shape?: Shape): number;
  /** Moves the walk `count` steps now, publishing each (scripts move too). */
  tick(count?: number): { moved: number; sent: number };
  /** Starts playing a script from now, on the walk's ticks (sim/script.ts). */
  play(script: SimScript): void;
  /** Same as `POST /control/reset`. */
  reset(): void;
  close(): Promise<void>;
}

function initialConfig(opts: SimulatorOptions): SimConfig {
  return {
    tickMs: opts.tickMs ?? DEFAULT_CONFIG.tickMs,
    walk: opts.walk ?? DEFAULT_CONFIG.walk,
    mix: { ...DEFAULT_CONFIG.mix, ...opts.mix },
    batchProbability: opts.batchProbability ?? DEFAULT_CONFIG.batchProbability,
    maxBatch: opts.maxBatch ?? DEFAULT_CONFIG.maxBatch,
    binaryProbability: opts.binaryProbability ?? DEFAULT_CONFIG.binaryProbability,
    tradeCloseProbability: opts.tradeCloseProbability ?? DEFAULT_CONFIG.tradeCloseProbability,
  };
}

/** Starts the simulator; resolves once it listens. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 1;
  const walkRng = mulberry32(seed);
  const eventRng = mulberry32(seed ^ 0x9e3779b9);
  let config = initialConfig(opts);
  let rest = emptyRestState();
  let walkTimer: NodeJS.Timeout | undefined;
  const timers = new Timers();
  const book = new AccountBook();
  for (const a of opts.accounts ?? []) book.upsert(a);
  let scripts: Array<{ script: SimScript; startedAt: number }> = [];
  const play = (script: SimScript) => {
    scripts.push({ script, startedAt: Date.now() });
    log(`script ${script.name} playing`);
  };
  for (const s of opts.scripts ?? []) play(s);

  const state = (): SimState => ({ ...hub.state(), rest: { ...rest }, accounts: book.size });
  const waiters = new Waiters({
    state,
    subscribeCount: (id) => hub.subscribeCount(id),
    reads: (id) => book.get(id)?.reads ?? 0,
  });
  const hub = new Hub({ log, onChange: () => waiters.poke() });
  const publisher = new Publisher(hub, eventRng, () => config);

  const tick = (count = 1) => {
    let moved = 0;
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const now = Date.now();
      const accounts = book.step(walkRng, config.tradeCloseProbability, now);
      for (const { script, startedAt } of scripts) {
        accounts.push(
          ...script.step({
            now,
            elapsedMs: now - startedAt,
            book,
            subscribed: (id) => hub.subscribersOf(id).length > 0,
            rng: walkRng,
          }),
        );
      }
      moved += accounts.length;
      sent += publisher.publish(accounts);
    }
    waiters.poke();
    return { moved, sent };
  };
  const restartWalk = () => {
    clearInterval(walkTimer);
    walkTimer = config.walk ? setInterval(() => tick(), config.tickMs) : undefined;
    walkTimer?.unref();
  };
  const configure = (patch: SimConfigPatch) => {
    const before = config;
    config = applyConfigPatch(config, patch);
    if (config.walk !== before.walk || config.tickMs !== before.tickMs) restartWalk();
    return config;
  };
  const orderBook = new OrderBook();
  const closeBook = new CloseBook();
  const reset = () => {
    closeBook.clear();
    scripts = [];
    book.clear();
    orderBook.clear();
    hub.reset();
    publisher.reset();
    rest = emptyRestState();
    config = initialConfig(opts);
    restartWalk();
    waiters.poke();
  };

  const control: ControlHost = {
    book,
    hub,
    publisher,
    waiters,
    state,
    config: () => config,
    configure,
    setRestDelay: (ms) => {
      rest.delay_ms = ms;
    },
    tick,
    reset,
    poke: () => waiters.poke(),
    log,
  };
  const mtapi: MtapiHost = {
    book,
    get rest() {
      return rest;
    },
    sleep: opts.sleep ?? ((ms) => timers.sleep(ms)),
    onRead: () => waiters.poke(),
  };

  const closeHost: CloseHost = {
    book,
    orders: orderBook,
    now: Date.now,
    sleep: mtapi.sleep,
    closed: (sessionId, order, pending) => {
      publisher.sendRaw(
        {
          type: "OrderUpdate",
          id: sessionId,
          data: {
            update: { type: pending ? "PendingClose" : "MarketClose", order },
            openedOrders: orderBook.of(sessionId).opened,
          },
        },
        { sessionId },
      );
    },
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sim");
    if (await handleOrders(req, res, url, { book, publisher, now: Date.now }, orderBook)) return;
    if (await handleOrderClose(req, res, url, closeHost, closeBook)) return;
    if (await handleControl(req, res, url, control)) return;
    if (await handleMtapi(req, res, url, mtapi)) return;
    if (url.pathname === "/") {
      sendJson(res, 200, { name: "drawdown-sentinel simulator", mtapiUrl: base, eventsUrl });
      return;
    }
    sendJson(res, 404, { message: `Not found: ${url.pathname}` });
  };
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  const base = `http://${hostInUrl}:${port}`;
  const eventsUrl = `ws://${hostInUrl}:${port}/events`;
  restartWalk();
  log(`sim listening ${base} (events ${eventsUrl})`);

  let closing: Promise<void> | undefined;
  return {
    port,
    url: base,
    mtapiUrl: base,
    eventsUrl,
    book,
    state,
    subscriptionCount: () => hub.subscribedCount(),
    config: () => config,
    configure,
    emitAccount: (sessionId, shape) => {
      const a = book.get(sessionId);
      const sent = a ? publisher.publish([a], shape) : 0;
      waiters.poke();
      return sent;
    },
    tick,
    play,
    reset,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(walkTimer);
        timers.clear();
        waiters.cancelAll();
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
