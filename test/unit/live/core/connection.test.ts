import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  stateName,
  transition,
  type ConnectionEffect,
  type ConnectionEvent,
  type ConnectionPolicy,
  type ConnectionState,
  isSilent,
  SILENCE_MS,
} from "../../../../src/live/core/connection.ts";

const policy: ConnectionPolicy = {
  backoff: { baseMs: 100, capMs: 2_000 },
  connectTimeoutMs: 1_000,
  minUptimeMs: 5_000,
};
const almostOne = () => 1 - Number.EPSILON;
const half = () => 0.5;

/** Feeds events through the machine, collecting every effect. */
function run(events: ConnectionEvent[], start: ConnectionState = { kind: "idle" }, random = half) {
  let state = start;
  const effects: ConnectionEffect[] = [];
  for (const event of events) {
    const step = transition(state, event, policy, random);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

function withoutLogs(effects: ConnectionEffect[]): ConnectionEffect[] {
  return effects.filter((e) => e.type !== "log");
}

function opens(effects: ConnectionEffect[]): number[] {
  return effects.flatMap((e) => (e.type === "open" ? [e.gen] : []));
}

const connecting1: ConnectionState = {
  kind: "connecting",
  gen: 1,
  attempt: 0,
  since: 0,
  deadline: 1_000,
};
const open1: ConnectionState = { kind: "open", gen: 1, attempt: 0, since: 100 };

describe("connection state machine", () => {
  it("opens exactly one socket, generation 1, when the first subscription arrives", () => {
    const { state, effects } = transition(
      { kind: "idle" },
      { type: "demand", subscriptions: 1, now: 0 },
      policy,
      half,
    );
    expect(state).toEqual({ kind: "connecting", gen: 1, attempt: 0, since: 0, deadline: 1_000 });
    expect(effects).toEqual([
      { type: "open", gen: 1 },
      { type: "wake_at", at: 1_000 },
    ]);
  });

  it("opens one connection for 100 concurrent subscribes", () => {
    const demands: ConnectionEvent[] = Array.from({ length: 100 }, (_, i) => ({
      type: "demand",
      subscriptions: i + 1,
      now: i,
    }));
    const whileConnecting = run(demands);
    expect(opens(whileConnecting.effects)).toEqual([1]);
    expect(whileConnecting.state.kind).toBe("connecting");

    const whileOpen = run(demands, open1);
    expect(whileOpen.effects).toEqual([]);
    expect(whileOpen.state).toEqual(open1);
  });

  it("does not open a socket while backing off, whatever the demand", () => {
    const backoff: ConnectionState = { kind: "backoff", gen: 1, attempt: 1, until: 500 };
    const { state, effects } = run([{ type: "demand", subscriptions: 7, now: 10 }], backoff);
    expect(state).toEqual(backoff);
    expect(effects).toEqual([]);
  });

  it("resubscribes everything when the socket opens", () => {
    const { state, effects } = transition(
      connecting1,
      { type: "opened", gen: 1, now: 100 },
      policy,
      half,
    );
    expect(state).toEqual({ kind: "open", gen: 1, attempt: 0, since: 100 });
    expect(withoutLogs(effects)).toEqual([{ type: "resubscribe_all" }]);
  });

  it("closes a socket that opens for an abandoned generation, and stays as it was", () => {
    const connecting3: ConnectionState = {
      kind: "connecting",
      gen: 3,
      attempt: 2,
      since: 0,
      deadline: 1_000,
    };
    const step = transition(connecting3, { type: "opened", gen: 2, now: 50 }, policy, half);
    expect(step.state).toEqual(connecting3);
    expect(step.effects).toEqual([{ type: "close", gen: 2, reason: "abandoned" }]);

    const idle = transition({ kind: "idle" }, { type: "opened", gen: 1, now: 50 }, policy, half);
    expect(idle.state.kind).toBe("idle");
    expect(idle.effects).toEqual([{ type: "close", gen: 1, reason: "abandoned" }]);
  });

  it("backs off with a wake-up when a connect attempt fails", () => {
    const { state, effects } = transition(
      connecting1,
      { type: "failed", gen: 1, now: 200, reason: "HTTP 502" },
      policy,
      half,
    );
    expect(state).toEqual({ kind: "backoff", gen: 1, attempt: 1, until: 250 });
    expect(withoutLogs(effects)).toEqual([{ type: "wake_at", at: 250 }]);
    expect(effects).toContainEqual({
      type: "log",
      event: "events:backoff",
      fields: { attempt: 1, delay_ms: 50, reason: "HTTP 502" },
    });
  });

  it("backs off with a wake-up when an open socket closes", () => {
    const { state, effects } = transition(
      open1,
      { type: "closed", gen: 1, now: 300, reason: "closed 1006" },
      policy,
      half,
    );
    expect(state).toEqual({ kind: "backoff", gen: 1, attempt: 1, until: 350 });
    expect(withoutLogs(effects)).toEqual([{ type: "wake_at", at: 350 }]);
  });

  it("only re-arms its wake-up on a tick before the backoff ends", () => {
    const backoff: ConnectionState = { kind: "backoff", gen: 1, attempt: 1, until: 500 };
    const step = transition(backoff, { type: "tick", now: 499 }, policy, half);
    expect(step.state).toEqual(backoff);
    expect(step.effects).toEqual([{ type: "wake_at", at: 500 }]);
  });

  it("reconnects with the next generation on a tick at or after the backoff end", () => {
    const backoff: ConnectionState = { kind: "backoff", gen: 1, attempt: 1, until: 500 };
    for (const now of [500, 9_999]) {
      const step = transition(backoff, { type: "tick", now }, policy, half);
      expect(step.state).toEqual({
        kind: "connecting",
        gen: 2,
        attempt: 1,
        since: now,
        deadline: now + 1_000,
      });
      expect(step.effects).toEqual([
        { type: "open", gen: 2 },
        { type: "wake_at", at: now + 1_000 },
      ]);
    }
  });

  it("abandons a connect attempt at its deadline: closes it and backs off", () => {
    const early = transition(connecting1, { type: "tick", now: 999 }, policy, half);
    expect(early.state).toEqual(connecting1);
    expect(early.effects).toEqual([{ type: "wake_at", at: 1_000 }]);

    const late = transition(connecting1, { type: "tick", now: 1_000 }, policy, half);
    expect(late.state).toEqual({ kind: "backoff", gen: 1, attempt: 1, until: 1_050 });
    expect(withoutLogs(late.effects)).toEqual([
      { type: "close", gen: 1, reason: "connect timeout" },
      { type: "wake_at", at: 1_050 },
    ]);
  });

  it("ignores ticks while open or idle", () => {
    expect(transition(open1, { type: "tick", now: 1e9 }, policy, half)).toEqual({
      state: open1,
      effects: [],
    });
    expect(transition({ kind: "idle" }, { type: "tick", now: 1e9 }, policy, half)).toEqual({
      state: { kind: "idle" },
      effects: [],
    });
  });

  it("grows the attempt count across failures, so the backoff ceiling grows", () => {
    let state: ConnectionState = { kind: "idle" };
    let now = 0;
    const delays: number[] = [];
    state = transition(state, { type: "demand", subscriptions: 1, now }, policy, almostOne).state;
    for (let i = 0; i < 6; i++) {
      if (state.kind !== "connecting") throw new Error(`expected connecting, got ${state.kind}`);
      const gen = state.gen;
      state = transition(
        state,
        { type: "failed", gen, now, reason: "refused" },
        policy,
        almostOne,
      ).state;
      if (state.kind !== "backoff") throw new Error(`expected backoff, got ${state.kind}`);
      expect(state.attempt).toBe(i + 1);
      delays.push(state.until - now);
      now = state.until;
      state = transition(state, { type: "tick", now }, policy, almostOne).state;
    }
    expect(delays).toEqual([99, 199, 399, 799, 1_599, 1_999]);
  });

  it("keeps the attempt count when a link drops before the minimum uptime", () => {
    const flapping: ConnectionState = { kind: "open", gen: 4, attempt: 3, since: 10_000 };
    const { state } = transition(
      flapping,
      { type: "closed", gen: 4, now: 10_000 + 4_999, reason: "closed 1006" },
      policy,
      half,
    );
    expect(state).toMatchObject({ kind: "backoff", gen: 4, attempt: 4 });
  });

  it("resets the attempt count only after the link stayed up for the minimum uptime", () => {
    const stable: ConnectionState = { kind: "open", gen: 4, attempt: 3, since: 10_000 };
    const { state, effects } = transition(
      stable,
      { type: "closed", gen: 4, now: 15_000, reason: "closed 1001" },
      policy,
      almostOne,
    );
    expect(state).toEqual({ kind: "backoff", gen: 4, attempt: 1, until: 15_099 });
    expect(effects[0]).toEqual({
      type: "log",
      event: "events:disconnected",
      fields: { reason: "closed 1001", uptime_ms: 5_000 },
    });
  });

  it("reconnects a healthy link that dropped at once, and jitters from the second attempt on", () => {
    const atOnce: ConnectionPolicy = {
      ...policy,
      backoff: { ...policy.backoff, firstAtOnce: true },
    };
    const open: ConnectionState = { kind: "open", gen: 3, attempt: 0, since: 0 };
    const dropped = transition(
      open,
      { type: "closed", gen: 3, now: 10_000, reason: "x" },
      atOnce,
      almostOne,
    );
    expect(dropped.state).toMatchObject({ kind: "backoff", attempt: 1, until: 10_000 });
    expect(withoutLogs(dropped.effects)).toEqual([{ type: "wake_at", at: 10_000 }]);
    const again = transition(dropped.state, { type: "tick", now: 10_000 }, atOnce, almostOne);
    expect(opens(again.effects)).toEqual([4]);
    // That attempt fails: now the wait is drawn, up to the base ceiling.
    const failed = transition(
      again.state,
      { type: "failed", gen: 4, now: 10_050, reason: "y" },
      atOnce,
      almostOne,
    );
    expect(failed.state).toMatchObject({ kind: "backoff", attempt: 2, until: 10_050 + 99 });
  });

  it("does not reconnect at once a link that dropped before the minimum uptime (a flapping link)", () => {
    const atOnce: ConnectionPolicy = {
      ...policy,
      backoff: { ...policy.backoff, firstAtOnce: true },
    };
    const open: ConnectionState = { kind: "open", gen: 3, attempt: 2, since: 9_000 };
    const dropped = transition(
      open,
      { type: "closed", gen: 3, now: 10_000, reason: "x" },
      atOnce,
      almostOne,
    );
    expect(dropped.state).toMatchObject({ kind: "backoff", attempt: 3, until: 10_000 + 199 });
  });

  it("ignores close and failure reports from older generations", () => {
    const open3: ConnectionState = { kind: "open", gen: 3, attempt: 0, since: 0 };
    for (const type of ["closed", "failed"] as const) {
      expect(transition(open3, { type, gen: 2, now: 10, reason: "late" }, policy, half)).toEqual({
        state: open3,
        effects: [],
      });
    }
    const backoff: ConnectionState = { kind: "backoff", gen: 3, attempt: 1, until: 500 };
    expect(
      transition(backoff, { type: "closed", gen: 3, now: 10, reason: "late" }, policy, half),
    ).toEqual({ state: backoff, effects: [] });
  });

  it("closes the socket and goes idle when the last subscription leaves", () => {
    const fromOpen = transition(
      open1,
      { type: "demand", subscriptions: 0, now: 500 },
      policy,
      half,
    );
    expect(fromOpen.state.kind).toBe("idle");
    expect(withoutLogs(fromOpen.effects)).toEqual([
      { type: "close", gen: 1, reason: "no subscriptions" },
    ]);

    const fromConnecting = transition(
      connecting1,
      { type: "demand", subscriptions: 0, now: 500 },
      policy,
      half,
    );
    expect(fromConnecting.state.kind).toBe("idle");
    expect(withoutLogs(fromConnecting.effects)).toEqual([
      { type: "close", gen: 1, reason: "no subscriptions" },
    ]);

    const fromBackoff = transition(
      { kind: "backoff", gen: 1, attempt: 1, until: 900 },
      { type: "demand", subscriptions: 0, now: 500 },
      policy,
      half,
    );
    expect(fromBackoff.state.kind).toBe("idle");
    expect(withoutLogs(fromBackoff.effects)).toEqual([]);

    expect(
      transition({ kind: "idle" }, { type: "demand", subscriptions: 0, now: 500 }, policy, half)
        .effects,
    ).toEqual([]);
  });

  it("never reuses a generation after going idle, so the old socket's late close is ignored", () => {
    // Last account leaves while open, a new one arrives before the old socket reports its close.
    const { state, effects } = run([
      { type: "demand", subscriptions: 1, now: 0 },
      { type: "opened", gen: 1, now: 10 },
      { type: "demand", subscriptions: 0, now: 20 },
      { type: "demand", subscriptions: 1, now: 30 },
      { type: "closed", gen: 1, now: 40, reason: "closed 1000 no subscriptions" },
    ]);
    expect(opens(effects)).toEqual([1, 2]);
    expect(state).toMatchObject({ kind: "connecting", gen: 2 });
  });

  it("names its states as the monitor status shows them", () => {
    expect(stateName({ kind: "idle" })).toBe("closed");
    expect(stateName(connecting1)).toBe("connecting");
    expect(stateName(open1)).toBe("open");
    expect(stateName({ kind: "backoff", gen: 1, attempt: 1, until: 0 })).toBe("backoff");
  });
});

/** A command of the fake shell in the model-based property. */
type Command =
  | { do: "demand"; subscriptions: number }
  | { do: "tick"; advance: number }
  | { do: "socket"; pick: number; what: "opened" | "failed" | "closed" };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ do: fc.constant("demand" as const), subscriptions: fc.nat({ max: 3 }) }),
  fc.record({
    do: fc.constant("tick" as const),
    advance: fc.oneof(fc.constant(0), fc.nat({ max: 3_000 })),
  }),
  fc.record({
    do: fc.constant("socket" as const),
    pick: fc.nat(),
    what: fc.constantFrom("opened" as const, "failed" as const, "closed" as const),
  }),
);

describe("connection state machine properties", () => {
  it("wants at most one socket at a time, never reuses a generation, and keeps backoff within [0, cap]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(command, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), {
          maxLength: 80,
        }),
        (commands) => {
          let state: ConnectionState = { kind: "idle" };
          let now = 0;
          let maxGen = 0;
          /**
           * Every socket the shell started and that has not reported its end yet, as the socket
           * sees itself, and whether the machine still wants it (asked to open it, never closed it).
           */
          const sockets: { gen: number; status: "pending" | "open"; wanted: boolean }[] = [];

          for (const [cmd, r] of commands) {
            let event: ConnectionEvent;
            if (cmd.do === "demand")
              event = { type: "demand", subscriptions: cmd.subscriptions, now };
            else if (cmd.do === "tick") {
              now += cmd.advance;
              event = { type: "tick", now };
            } else {
              if (sockets.length === 0) continue;
              const index = cmd.pick % sockets.length;
              const socket = sockets[index]!;
              if (socket.status === "pending" && cmd.what === "opened") {
                socket.status = "open";
                event = { type: "opened", gen: socket.gen, now };
              } else {
                // A pending socket fails, an open one closes; either way it is gone.
                sockets.splice(index, 1);
                event =
                  socket.status === "pending"
                    ? { type: "failed", gen: socket.gen, now, reason: "refused" }
                    : { type: "closed", gen: socket.gen, now, reason: "closed 1006" };
              }
            }

            const step = transition(state, event, policy, () => r);
            state = step.state;
            for (const effect of step.effects) {
              if (effect.type === "open") {
                expect(effect.gen).toBeGreaterThan(maxGen);
                maxGen = effect.gen;
                sockets.push({ gen: effect.gen, status: "pending", wanted: true });
              } else if (effect.type === "close") {
                for (const socket of sockets) if (socket.gen === effect.gen) socket.wanted = false;
              } else if (effect.type === "wake_at") {
                expect(effect.at).toBeGreaterThanOrEqual(now);
              } else if (effect.type === "log" && effect.event === "events:backoff") {
                const delay = effect.fields.delay_ms as number;
                expect(delay).toBeGreaterThanOrEqual(0);
                expect(delay).toBeLessThanOrEqual(policy.backoff.capMs);
              }
            }

            const wanted = sockets.filter((s) => s.wanted).map((s) => s.gen);
            expect(wanted.length).toBeLessThanOrEqual(1);
            if (state.kind === "connecting" || state.kind === "open")
              expect(wanted).toEqual([state.gen]);
            else expect(wanted).toEqual([]);
            if (state.kind === "backoff") {
              expect(state.until - now).toBeGreaterThanOrEqual(0);
              expect(state.until - now).toBeLessThanOrEqual(policy.backoff.capMs);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("a silent link", () => {
  const open = { kind: "open" as const, gen: 1, attempt: 0, since: 1_000 };

  it("is taken for dead after 90 s without a frame while open", () => {
    expect(SILENCE_MS).toBe(90_000);
    expect(isSilent(open, 5_000, 5_000 + 89_999)).toBe(false);
    expect(isSilent(open, 5_000, 5_000 + 90_000)).toBe(true);
  });

  it("counts from the opening when no frame ever came", () => {
    expect(isSilent(open, 0, 1_000 + 90_000)).toBe(true);
    expect(isSilent(open, 0, 1_000 + 80_000)).toBe(false);
  });

  it("is never silent when not open", () => {
    expect(isSilent({ kind: "backoff", gen: 1, attempt: 1, until: 0 }, 0, 1e9)).toBe(false);
    expect(isSilent({ kind: "idle" }, 0, 1e9)).toBe(false);
  });
});
