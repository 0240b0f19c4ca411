/**
 * The control API under `/control`: JSON routes that let tests (in Node or inside workerd)
 * and the dev script set accounts, push frames, break connections and wait for the client.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { AccountBook, SimAccountInput } from "./accounts.ts";
import type { SimConfig, SimConfigJson, SimConfigPatch } from "./config.ts";
import { configToJson } from "./config.ts";
import * as schemas from "./control-schemas.ts";
import { flood } from "./flood.ts";
import { HttpError, isLoopback, readJson, sendJson } from "./http.ts";
import type { Hub } from "./hub.ts";
import type { Publisher } from "./publisher.ts";
import type { SimState } from "./state.ts";
import type { Waiters } from "./wait.ts";

/**
 * A session token as the control log and its errors show it: the first 4 characters, as the
 * API masks it (the dev stack's log holds no token: test/demo/demo.test.ts).
 */
function masked(sessionId: string): string {
  return sessionId.length > 8 ? `${sessionId.slice(0, 4)}...` : "...";
}

/** A control path as the log shows it: an account's session token in it masked. */
function loggedPath(path: string): string {
  return path.replace(/^(\/control\/accounts\/)([^/]+)/, (_, head: string, id: string) => {
    let token = id;
    try {
      token = decodeURIComponent(id);
    } catch {
      // logged masked as it came
    }
    return `${head}${masked(token)}`;
  });
}

/** What the routes drive. */
export interface ControlHost {
  book: AccountBook;
  hub: Hub;
  publisher: Publisher;
  waiters: Waiters;
  state(): SimState;
  config(): SimConfig;
  configure(patch: SimConfigPatch): SimConfig;
  setRestDelay(ms: number): void;
  tick(count: number): { moved: number; sent: number };
  reset(): void;
  /** Re-checks pending waits. */
  poke(): void;
  log(line: string): void;
}

interface Ctx {
  host: ControlHost;
  body: unknown;
  params: string[];
}

type Answer = { status: number; body: unknown; note?: string };
type Handler = (ctx: Ctx) => Answer | Promise<Answer>;

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new HttpError(400, "invalid body", issues);
  }
  return r.data;
}

function ok(body: unknown, note?: string): Answer {
  return note === undefined ? { status: 200, body } : { status: 200, body, note };
}

function account(host: ControlHost, id: string) {
  const a = host.book.get(id);
  if (!a) throw new HttpError(404, `unknown session ${masked(id)}`);
  return a;
}

const routes: [method: string, path: RegExp, handler: Handler][] = [
  ["GET", /^\/control\/state$/, ({ host }) => ok(host.state())],
  ["GET", /^\/control\/accounts$/, ({ host }) => ok(host.book.list())],
  [
    "POST",
    /^\/control\/accounts$/,
    ({ host, body }) => {
      const input = parse(schemas.accountsBody, body);
      if (!Array.isArray(input) && !("accounts" in input)) {
        const a = host.book.upsert(input as SimAccountInput);
        return ok(a, `upsert ${masked(a.session_id)}`);
      }
      const list = Array.isArray(input) ? input : input.accounts;
      return ok(
        list.map((i) => host.book.upsert(i as SimAccountInput)),
        `upsert ${list.length}`,
      );
    },
  ],
  [
    "GET",
    /^\/control\/accounts\/([^/]+)$/,
    ({ host, params }) => ok(account(host, params[0] ?? "")),
  ],
  [
    "PATCH",
    /^\/control\/accounts\/([^/]+)$/,
    ({ host, params, body }) => {
      const id = account(host, params[0] ?? "").session_id;
      const { emit, shape, ...patch } = parse(schemas.accountPatch, body);
      const a = host.book.patch(id, patch);
      if (!a) throw new HttpError(404, `unknown session ${masked(id)}`);
      // By default only a change of figures is announced (an `expired` flip is not an event).
      const figures = ["balance", "equity", "credit", "margin"].some((k) => k in patch);
      const sent = (emit ?? figures) ? host.publisher.publish([a], shape ?? "full") : 0;
      host.poke();
      return ok({ ...a, sent }, `patch ${masked(id)} sent=${sent}`);
    },
  ],
  [
    "DELETE",
    /^\/control\/accounts\/([^/]+)$/,
    ({ host, params }) => {
      const id = account(host, params[0] ?? "").session_id;
      host.book.remove(id);
      return ok({ deleted: id }, `delete ${masked(id)}`);
    },
  ],
  [
    "POST",
    /^\/control\/emit$/,
    ({ host, body }) => {
      const b = parse(schemas.emitBody, body);
      const sent = host.publisher.sendRaw(b.frame, {
        binary: b.binary ?? false,
        sessionId: b.session_id,
      });
      return ok({ sent }, `sent=${sent}${b.binary ? " binary" : ""}`);
    },
  ],
  [
    "POST",
    /^\/control\/drop$/,
    ({ host, body }) => {
      const b = parse(schemas.dropBody, body);
      const dropped = host.hub.drop({
        sessionId: b.session_id,
        code: b.code,
        reason: b.reason ?? "",
      });
      return ok({ dropped }, `dropped=${dropped}`);
    },
  ],
  [
    "POST",
    /^\/control\/refuse$/,
    ({ host, body }) => {
      const { seconds } = parse(schemas.refuseBody, body);
      const dropped = host.hub.refuseFor(seconds * 1000);
      return ok({ ...host.state(), dropped }, `refuse ${seconds}s dropped=${dropped}`);
    },
  ],
  [
    "POST",
    /^\/control\/delay$/,
    ({ host, body }) => {
      const { ms } = parse(schemas.delayBody, body);
      host.setRestDelay(ms);
      return ok({ delay_ms: ms }, `delay ${ms}ms`);
    },
  ],
  [
    "POST",
    /^\/control\/wait$/,
    async ({ host, body }) => {
      const { until, timeout_ms } = parse(schemas.waitBody, body);
      const r = await host.waiters.wait(until, timeout_ms);
      const state = host.state();
      return r.ok ? ok(state) : { status: 408, body: { ...state, unmet: r.unmet } };
    },
  ],
  [
    "POST",
    /^\/control\/reset$/,
    ({ host }) => {
      host.reset();
      return ok(host.state(), "reset");
    },
  ],
  ["GET", /^\/control\/config$/, ({ host }) => ok(configToJson(host.config()))],
  [
    "POST",
    /^\/control\/config$/,
    ({ host, body }) => {
      const patch = parse(schemas.configBody, body);
      const next: SimConfigJson = configToJson(host.configure(patch));
      return ok(next, `config ${JSON.stringify(patch)}`);
    },
  ],
  [
    "POST",
    /^\/control\/tick$/,
    ({ host, body }) => {
      const { count } = parse(schemas.tickBody, body);
      const r = host.tick(count);
      return ok(r, `tick x${count} moved=${r.moved} sent=${r.sent}`);
    },
  ],
  [
    "POST",
    /^\/control\/flood$/,
    async ({ host, body }) => {
      const b = parse(schemas.floodBody, body);
      host.log(`control flood ${b.events_per_frame}/frame for ${b.duration_ms}ms`);
      const r = await flood(host.hub, host.book, {
        eventsPerFrame: b.events_per_frame,
        durationMs: b.duration_ms,
        sessionIds: b.session_ids,
        rate: b.rate,
        shape: b.shape,
        binary: b.binary,
      });
      host.poke();
      return ok(r, `flood frames=${r.frames} events=${r.events}`);
    },
  ],
];

/** Answers a `/control` request; false when the path is not under `/control`. */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  host: ControlHost,
): Promise<boolean> {
  if (url.pathname !== "/control" && !url.pathname.startsWith("/control/")) return false;
  const method = req.method ?? "GET";
  try {
    if (!isLoopback(req)) throw new HttpError(403, "control API is loopback only");
    const path = url.pathname.replace(/\/+$/, "");
    const matches = routes.filter(([, re]) => re.test(path));
    if (matches.length === 0) throw new HttpError(404, `no route ${loggedPath(path)}`);
    const route = matches.find(([m]) => m === method);
    if (!route) throw new HttpError(405, `${method} not allowed on ${loggedPath(path)}`);
    const [, re, handler] = route;
    const params = (re.exec(path)?.slice(1) ?? []).map((p) => decodeURIComponent(p));
    const body = method === "GET" ? undefined : await readJson(req);
    const answer = await handler({ host, body, params });
    if (answer.note !== undefined)
      host.log(`control ${method} ${loggedPath(path)}: ${answer.note}`);
    sendJson(res, answer.status, answer.body);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    const message = err instanceof Error ? err.message : String(err);
    const issues = err instanceof HttpError ? err.issues : undefined;
    host.log(`control ${method} ${loggedPath(url.pathname)}: ${status} ${message}`);
    sendJson(res, status, issues === undefined ? { error: message } : { error: message, issues });
  }
  return true;
}
