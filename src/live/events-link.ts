/**
 * The one shared WebSocket to the Events service: carries out the connection state machine's
 * effects (core/connection.ts). It opens the socket with `fetch` + `Upgrade: websocket`, which
 * shows the handshake status and works in workerd, `wrangler dev` and the Vitest pool
 * (docs/platform.md). Outbound sockets never hibernate; the owner keeps an alarm heartbeat.
 */
import { upstreamProblem } from "../domain/upstream.ts";
import { log } from "../util/log.ts";
import { redactUrl } from "../domain/redact.ts";
import {
  DEFAULT_POLICY,
  isSilent,
  SILENCE_MS,
  stateName,
  transition,
  type ConnectionEvent,
  type ConnectionPolicy,
  type ConnectionState,
  type LinkStatus,
} from "./core/connection.ts";

/** What the link needs from the Durable Object that owns it. */
export interface LinkHost {
  /** The Events service URL (`ws://`, `wss://`, `http://` or `https://`). */
  url: string;
  now(): number;
  /** Called after every open: send every subscription again. */
  onOpen(send: (frame: string) => void): void;
  onFrame(data: string | ArrayBuffer): void;
  /** Asks to be ticked (`link.tick()`) at or after `at` (epoch ms). */
  wakeAt(at: number): void;
}

function toFetchUrl(url: string): string {
  return url.replace(/^ws(s?):\/\//i, "http$1://");
}

export class EventsLink {
  private state: ConnectionState = { kind: "idle" };
  private socket: WebSocket | null = null;
  private socketGen = 0;
  private opens = 0;
  private lastMessageAt = 0;
  /** Epoch ms the link stopped being open (or first wanted), null while open or idle. */
  private notOpenSince: number | null = null;

  constructor(
    private readonly host: LinkHost,
    private readonly policy: ConnectionPolicy = DEFAULT_POLICY,
    private readonly random: () => number = Math.random,
  ) {}

  /** Tells the link how many subscriptions there are (opens or closes it as needed). */
  demand(subscriptions: number): void {
    this.step({ type: "demand", subscriptions, now: this.host.now() });
  }

  /** Checks timeouts and backoff deadlines, and recycles a link silent for SILENCE_MS. */
  tick(): void {
    const now = this.host.now();
    if (this.state.kind === "open" && isSilent(this.state, this.lastMessageAt, now)) {
      const { gen } = this.state;
      const reason = `no frame for ${SILENCE_MS / 1000} s`;
      this.closeSocket(gen, reason);
      this.step({ type: "closed", gen, now, reason });
      return;
    }
    this.step({ type: "tick", now });
  }

  /** Sends a frame when the link is open; false when it is not (the next open resends all). */
  send(frame: string): boolean {
    if (this.state.kind !== "open" || !this.socket) return false;
    try {
      this.socket.send(frame);
      return true;
    } catch (err) {
      log("events:send_failed", {}, err);
      return false;
    }
  }

  status(): LinkStatus {
    return {
      state: stateName(this.state),
      url: redactUrl(this.host.url),
      connected_since: this.state.kind === "open" ? new Date(this.state.since).toISOString() : null,
      reconnects: Math.max(0, this.opens - 1),
      last_message_at: this.lastMessageAt ? new Date(this.lastMessageAt).toISOString() : null,
    };
  }

  /** The time the link wants its next tick, if any. */
  nextWake(): number | undefined {
    if (this.state.kind === "connecting") return this.state.deadline;
    if (this.state.kind === "backoff") return this.state.until;
    return undefined;
  }

  /** How long the link has wanted to be open and was not (ms); 0 while open or idle. */
  downForMs(now: number): number {
    return this.notOpenSince === null ? 0 : Math.max(0, now - this.notOpenSince);
  }

  private step(event: ConnectionEvent): void {
    const { state, effects } = transition(this.state, event, this.policy, this.random);
    this.state = state;
    if (state.kind === "open" || state.kind === "idle") this.notOpenSince = null;
    else this.notOpenSince ??= event.now;
    for (const effect of effects) {
      switch (effect.type) {
        case "open":
          void this.open(effect.gen);
          break;
        case "close":
          this.closeSocket(effect.gen, effect.reason);
          break;
        case "resubscribe_all":
          this.opens++;
          this.host.onOpen((frame) => this.socket?.send(frame));
          break;
        case "wake_at":
          this.host.wakeAt(effect.at);
          break;
        case "log":
          log(effect.event, { url: redactUrl(this.host.url), ...effect.fields });
          break;
      }
    }
  }

  private async open(gen: number): Promise<void> {
    let ws: WebSocket | null = null;
    // The timeout covers the handshake only: a signal passed to fetch() keeps governing the
    // upgraded socket, so AbortSignal.timeout() would cut a healthy link after connectTimeoutMs.
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error("connect timeout")),
      this.policy.connectTimeoutMs,
    );
    try {
      // Session tokens travel on this link: wss:// only, but to a local simulator.
      const refused = upstreamProblem(this.host.url);
      if (refused) throw new Error(refused);
      const res = await fetch(toFetchUrl(this.host.url), {
        headers: { Upgrade: "websocket" },
        signal: abort.signal,
      });
      clearTimeout(timer);
      ws = res.webSocket;
      if (!ws) throw new Error(`handshake answered HTTP ${res.status}`);
      // Binary frames as ArrayBuffer, not Blob (compatibility date 2026-03-17 and later).
      ws.binaryType = "arraybuffer";
      ws.accept();
    } catch (err) {
      clearTimeout(timer);
      const reason = err instanceof Error ? err.message : String(err);
      this.step({ type: "failed", gen, now: this.host.now(), reason });
      return;
    }
    if (this.state.kind !== "connecting" || this.state.gen !== gen) {
      // Abandoned while the handshake ran (timeout, or no subscriptions left).
      ws.close(1000, "abandoned");
      return;
    }
    const socket = ws;
    this.socket = socket;
    this.socketGen = gen;
    socket.addEventListener("message", (ev: MessageEvent) => {
      if (this.socketGen !== gen) return;
      this.lastMessageAt = this.host.now();
      this.host.onFrame(ev.data as string | ArrayBuffer);
    });
    socket.addEventListener("close", (ev: CloseEvent) => {
      if (this.socketGen === gen) this.socket = null;
      this.step({
        type: "closed",
        gen,
        now: this.host.now(),
        reason: `closed ${ev.code} ${ev.reason}`.trim(),
      });
    });
    socket.addEventListener("error", () => {
      if (this.socketGen === gen) this.socket = null;
      this.step({ type: "closed", gen, now: this.host.now(), reason: "socket error" });
    });
    this.step({ type: "opened", gen, now: this.host.now() });
  }

  private closeSocket(gen: number, reason: string): void {
    if (this.socketGen !== gen || !this.socket) return;
    const socket = this.socket;
    this.socket = null;
    this.socketGen = 0;
    try {
      socket.close(1000, reason.slice(0, 100));
    } catch {
      // already closing
    }
  }
}
