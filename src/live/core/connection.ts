/**
 * The shared Events connection as a pure state machine: `transition(state, event)` returns
 * the next state and the effects for the Durable Object to carry out. No I/O here, so every
 * path (races, timeouts, late errors of an abandoned socket) is tested without a socket.
 *
 * The socket opens with the first subscription and closes when the last one leaves (the seed
 * design). Each socket attempt has a generation number; events of an older generation are
 * late news from an abandoned socket and change nothing.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";

export type ConnectionState =
  /** `gen` is the last generation used, so a later socket never reuses it (0 or absent: none yet). */
  | { kind: "idle"; gen?: number }
  | { kind: "connecting"; gen: number; attempt: number; since: number; deadline: number }
  | { kind: "open"; gen: number; attempt: number; since: number }
  | { kind: "backoff"; gen: number; attempt: number; until: number };

export type ConnectionEvent =
  /** The number of subscriptions changed (or the object woke up with some). */
  | { type: "demand"; subscriptions: number; now: number }
  | { type: "opened"; gen: number; now: number }
  | { type: "failed"; gen: number; now: number; reason: string }
  | { type: "closed"; gen: number; now: number; reason: string }
  /** A timer or alarm fired: check deadlines. */
  | { type: "tick"; now: number };

export type ConnectionEffect =
  | { type: "open"; gen: number }
  | { type: "close"; gen: number; reason: string }
  | { type: "resubscribe_all" }
  | { type: "wake_at"; at: number }
  | { type: "log"; event: ConnectionLogEvent; fields: Record<string, unknown> };

/**
 * The events the link logs (the shell logs them with `log`, whose list in src/util/log.ts
 * holds these names; the core imports no I/O, so it names them here).
 */
export type ConnectionLogEvent =
  "events:backoff" | "events:connected" | "events:disconnected" | "events:idle";

export interface ConnectionPolicy {
  backoff: BackoffPolicy;
  /** A connect attempt that has not opened by then is abandoned (ms). */
  connectTimeoutMs: number;
  /** The attempt count resets only after the link stayed up this long (ms). */
  minUptimeMs: number;
}

export const DEFAULT_POLICY: ConnectionPolicy = {
  backoff: DEFAULT_BACKOFF,
  connectTimeoutMs: 10_000,
  minUptimeMs: 5_000,
};

export interface Step {
  state: ConnectionState;
  effects: ConnectionEffect[];
}

/** The link's states as `GET /v1/monitor` names them. */
export const LINK_STATES = ["open", "connecting", "backoff", "closed"] as const;
export type LinkState = (typeof LINK_STATES)[number];

/** Connection figures for `GET /v1/monitor`. */
export interface LinkStatus {
  state: LinkState;
  url: string;
  connected_since: string | null;
  reconnects: number;
  last_message_at: string | null;
}

/**
 * A link that has carried no frame for this long while open is taken for dead (a half-open
 * socket: a NAT or proxy dropped the flow and nothing closed it): docs/wire-contract.md, "Connection behaviour" (ms).
 */
export const SILENCE_MS = 90_000;

/**
 * True when an open link has been silent for `silenceMs`: no frame since `lastFrameAt`
 * (epoch ms, 0 for none) nor since it opened.
 */
export function isSilent(
  state: ConnectionState,
  lastFrameAt: number,
  now: number,
  silenceMs = SILENCE_MS,
): boolean {
  return state.kind === "open" && now - Math.max(lastFrameAt, state.since) >= silenceMs;
}

/** The public name of a state, as `GET /v1/monitor` shows it. */
export function stateName(state: ConnectionState): LinkState {
  return state.kind === "idle" ? "closed" : state.kind;
}

function lastGen(state: ConnectionState): number {
  return state.gen ?? 0;
}

function connect(gen: number, attempt: number, now: number, policy: ConnectionPolicy): Step {
  const deadline = now + policy.connectTimeoutMs;
  return {
    state: { kind: "connecting", gen, attempt, since: now, deadline },
    effects: [
      { type: "open", gen },
      { type: "wake_at", at: deadline },
    ],
  };
}

function retry(
  state: ConnectionState,
  attempt: number,
  now: number,
  reason: string,
  policy: ConnectionPolicy,
  random: () => number,
): Step {
  const delay = backoffDelay(attempt, policy.backoff, random);
  const until = now + delay;
  return {
    state: { kind: "backoff", gen: lastGen(state), attempt: attempt + 1, until },
    effects: [
      { type: "wake_at", at: until },
      {
        type: "log",
        event: "events:backoff",
        fields: { attempt: attempt + 1, delay_ms: delay, reason },
      },
    ],
  };
}

/**
 * The next state and effects. `subscriptions` in the state of the world is what
 * `demand` last said; the caller passes the current count with every `demand`.
 */
export function transition(
  state: ConnectionState,
  event: ConnectionEvent,
  policy: ConnectionPolicy = DEFAULT_POLICY,
  random: () => number = Math.random,
): Step {
  switch (event.type) {
    case "demand": {
      if (event.subscriptions === 0) {
        if (state.kind === "idle") return { state, effects: [] };
        const effects: ConnectionEffect[] = [
          { type: "log", event: "events:idle", fields: { reason: "no subscriptions" } },
        ];
        if (state.kind === "open" || state.kind === "connecting")
          effects.unshift({ type: "close", gen: state.gen, reason: "no subscriptions" });
        // Keep the generation: the closed socket may still report, and must not pass for the next one.
        return { state: { kind: "idle", gen: state.gen }, effects };
      }
      if (state.kind === "idle") return connect(lastGen(state) + 1, 0, event.now, policy);
      return { state, effects: [] };
    }
    case "opened": {
      if (state.kind !== "connecting" || event.gen !== state.gen) {
        // A socket we no longer want (abandoned, or we went idle): close it.
        return { state, effects: [{ type: "close", gen: event.gen, reason: "abandoned" }] };
      }
      return {
        state: { kind: "open", gen: state.gen, attempt: state.attempt, since: event.now },
        effects: [
          { type: "resubscribe_all" },
          { type: "log", event: "events:connected", fields: { attempt: state.attempt } },
        ],
      };
    }
    case "failed":
    case "closed": {
      if ((state.kind !== "connecting" && state.kind !== "open") || event.gen !== state.gen)
        return { state, effects: [] };
      const uptime = state.kind === "open" ? event.now - state.since : 0;
      const attempt = state.kind === "open" && uptime >= policy.minUptimeMs ? 0 : state.attempt;
      const step = retry(state, attempt, event.now, event.reason, policy, random);
      step.effects.unshift({
        type: "log",
        event: "events:disconnected",
        fields: { reason: event.reason, uptime_ms: uptime },
      });
      return step;
    }
    case "tick": {
      if (state.kind === "connecting" && event.now >= state.deadline) {
        const step = retry(state, state.attempt, event.now, "connect timeout", policy, random);
        step.effects.unshift({ type: "close", gen: state.gen, reason: "connect timeout" });
        return step;
      }
      if (state.kind === "backoff") {
        if (event.now >= state.until)
          return connect(state.gen + 1, state.attempt, event.now, policy);
        return { state, effects: [{ type: "wake_at", at: state.until }] };
      }
      if (state.kind === "connecting")
        return { state, effects: [{ type: "wake_at", at: state.deadline }] };
      return { state, effects: [] };
    }
  }
}
