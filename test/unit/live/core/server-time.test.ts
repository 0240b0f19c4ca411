/** Server-time stamps (docs/mtapi-bridge.md, "Server-time stamps"): learnt, applied, re-learnt. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LEARNING,
  QUARTER_MS,
  ServerClocks,
  SLACK_MS,
  STEADY_SAMPLES,
} from "../../../../src/live/core/server-time.ts";
import { ServerClocks as ReferenceClocks } from "./reference/server-time.ts";
import { applyEvent } from "../../../../src/live/core/event-path.ts";
import { SubscriptionTable, newSubscription } from "../../../../src/live/core/subscriptions.ts";
import { resolveRules } from "../../../../src/risk/index.ts";

const T0 = Date.UTC(2026, 11, 4, 21, 30);
const H = 3_600_000;

describe("ServerClocks", () => {
  it("learns a steady +2 h offset after STEADY_SAMPLES stamps and corrects the rest", () => {
    const c = new ServerClocks();
    const verdicts = [0, 1, 2, 3].map((i) =>
      c.judge("Broker", T0 + i * 1000 + 2 * H + 150, T0 + i * 1000),
    );
    expect(verdicts.slice(0, STEADY_SAMPLES - 1).every((v) => v.kind === "learning")).toBe(true);
    expect(verdicts[STEADY_SAMPLES - 1]).toEqual({
      kind: "corrected",
      ts: T0 + (STEADY_SAMPLES - 1) * 1000 + 150,
      offsetMs: 2 * H,
    });
    expect(verdicts[3]).toMatchObject({ kind: "corrected", ts: T0 + 3000 + 150 });
    expect(c.snapshot()).toEqual({ Broker: 120 });
  });

  it("re-learns after a daylight-saving change (+3 h to +2 h); other servers are their own", () => {
    const c = new ServerClocks();
    for (let i = 0; i < 3; i++) c.judge("A", T0 + 3 * H, T0);
    expect(c.offsetOf("A")).toBe(3 * H);
    expect(c.judge("A", T0 + 2 * H, T0).kind).toBe("learning");
    expect(c.judge("A", T0 + 2 * H, T0)).toMatchObject({ kind: "corrected", offsetMs: 2 * H });
    expect(c.offsetOf("B")).toBe(0);
    expect(c.judge("B", T0, T0)).toEqual({ kind: "utc" });
  });

  it("leaves unsteady stamps as they are: off a quarter hour, too far, or not finite", () => {
    const c = new ServerClocks();
    expect(c.judge("A", T0 + 2 * H + 7 * 60_000, T0).kind).toBe("unsteady");
    expect(c.judge("A", T0 + 20 * H, T0).kind).toBe("unsteady");
    expect(c.judge("A", Number.NaN, T0).kind).toBe("unsteady");
    // Behind the receive time: maybe a genuine late event, never read as server time.
    expect(c.judge("A", T0 - 2 * H, T0).kind).toBe("unsteady");
    expect(c.judge("A", T0 - 2 * H, T0).kind).toBe("unsteady");
  });

  it("never corrects by anything but a whole number of quarter hours", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -48, max: 56 }),
        fc.integer({ min: -59_000, max: 59_000 }),
        (q, jitter) => {
          const c = new ServerClocks();
          let last;
          for (let i = 0; i < 3; i++) last = c.judge("S", T0 + q * QUARTER_MS + jitter, T0);
          if (last!.kind === "corrected") {
            expect(Math.abs(last!.offsetMs % QUARTER_MS)).toBe(0);
            expect(last!.ts).toBe(T0 + jitter);
          } else expect(q === 0 ? "utc" : "unsteady").toBe(last!.kind);
          // Never a correction for a stamp behind the receive time.
          if (q < 0) expect(last!.kind).toBe("unsteady");
        },
      ),
    );
  });
});

describe("the event path's judgement agrees with the reference", () => {
  // The judgement before the event path's form was added (reference/server-time.ts, kept for
  // this test only): `judge` and `correction` must answer and learn exactly as it did.
  const stamp = fc.oneof(
    // Near the receive time: the common UTC case and its edges.
    { weight: 3, arbitrary: fc.integer({ min: -SLACK_MS - 2, max: SLACK_MS + 2 }) },
    // Whole quarter hours ahead or behind, with jitter around the slack.
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.integer({ min: -60, max: 60 }),
          fc.integer({ min: -SLACK_MS - 2, max: SLACK_MS + 2 }),
        )
        .map(([q, j]) => q * QUARTER_MS + j),
    },
    // A few steady offsets, so that learning and re-learning happen.
    {
      weight: 4,
      arbitrary: fc.constantFrom(2 * H, 3 * H, 14 * H, 14 * H + QUARTER_MS, SLACK_MS),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    },
  );
  const reading = fc.record({
    server: fc.constantFrom("A", "B"),
    off: stamp,
    now: fc.oneof(
      { weight: 19, arbitrary: fc.integer({ min: 0, max: 10 * H }) },
      { weight: 1, arbitrary: fc.constant(Number.NaN) },
    ),
  });

  it("gives the same verdicts, corrections, learnt offsets and snapshots on any sequence", () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 60 }), (readings) => {
        const ref = new ReferenceClocks();
        const judged = new ServerClocks();
        const corrected = new ServerClocks();
        for (const r of readings) {
          const now = T0 + r.now;
          const ts = now + r.off;
          const want = ref.judge(r.server, ts, now);
          expect(judged.judge(r.server, ts, now)).toEqual(want);
          const offset = corrected.correction(r.server, ts, now);
          if (want.kind === "corrected") expect(offset).toBe(want.offsetMs);
          else if (want.kind === "learning") expect(offset).toBe(LEARNING);
          else expect(offset).toBe(0);
          for (const s of ["A", "B"]) {
            expect(judged.offsetOf(s)).toBe(ref.offsetOf(s));
            expect(corrected.offsetOf(s)).toBe(ref.offsetOf(s));
          }
        }
        expect(judged.snapshot()).toEqual(ref.snapshot());
        expect(corrected.snapshot()).toEqual(ref.snapshot());
      }),
      { numRuns: 500 },
    );
  });
});

describe("a server-time feed on the event path", () => {
  it("applies events stamped +2 h once the offset is learnt, dated by the corrected time", () => {
    const resolved = resolveRules({ preset: "ftmo-2step", initial_balance: 100_000 });
    if (!resolved.ok) throw new Error("rules");
    const table = new SubscriptionTable();
    const sub = newSubscription(
      {
        account_id: 1,
        login: "1",
        server: "Broker-Live",
        session_id: "s",
        rules: resolved.rules,
        risk_state: null,
      },
      resolved.rules,
      T0,
    );
    table.put(sub);
    const clocks = new ServerClocks();
    const event = (i: number, equity: number) => ({
      kind: "event" as const,
      keys: { sessionId: "s" },
      equity,
      balance: 100_000,
      ts: T0 + i * 1000 + 2 * H,
    });
    expect(applyEvent(table, event(0, 99_000), T0, clocks).counts).toEqual(["received", "invalid"]);
    const second = applyEvent(table, event(1, 99_000), T0 + 1000, clocks);
    expect(second.counts).toEqual(["received", "applied", "server_time"]);
    expect(second.lagMs).toBe(0);
    const breach = applyEvent(table, event(2, 94_000), T0 + 2000, clocks);
    expect(breach.outcome?.breached).toBe(true);
    expect(breach.action).toBe("release");
    expect(sub.risk?.last_at ?? table.get(1)?.risk?.last_at).toBe(T0 + 2000);
    // Without the clocks the same stamps are set aside: the old behaviour, blind by events.
    const blind = new SubscriptionTable();
    blind.put({ ...sub, risk: null });
    expect(applyEvent(blind, event(3, 94_000), T0 + 3000).counts).toEqual(["received", "invalid"]);
  });
});
