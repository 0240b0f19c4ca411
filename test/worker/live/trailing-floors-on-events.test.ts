/**
 * Version 2 rule parameters through the real live monitor (docs/rules.md, "Version 2"): for
 * each new parameter, an account created through the API with it is subscribed to a fresh
 * monitor, Events frames go through the simulator, and the floors, usage and marks the
 * monitor wrote to Postgres are checked against the spec's figures (E6-E12 where one applies).
 *
 * Every case sets `live_exit_pct: 0.01`, and keeps some usage above 0 at every event, so that
 * the account stays subscribed through its events (it would otherwise leave live monitoring as
 * soon as its usage fell below 90%).
 */
import { describe, expect, it } from "vitest";
import type { AccountRow } from "../../../src/db/schema.ts";
import { api, addToSim, createViaApi } from "../api/helpers.ts";
import { eventually, getAccount, violationsOf } from "../helpers.ts";
import { emit, freshMonitor, goLive, simWait } from "./live-helpers.ts";

const MINUTE = 60_000;

/** One account event: figures, and optionally the broker's time (epoch ms). */
interface Ev {
  balance?: number;
  equity: number;
  ts?: number;
}

/** What the account must show after the last event. */
interface Expected {
  daily_floor?: number;
  max_floor?: number;
  usage?: { daily?: number; max?: number };
  /** Fields of the stored risk state. */
  risk?: Record<string, unknown>;
  /** Violations recorded, as (rule, floor). */
  violations?: Array<{ rule: string; floor: number }>;
  status?: "active" | "breached";
  /** `metrics.warnings` as the API shows it. */
  warnings?: { daily_loss: number[]; max_loss: number[] };
  objectivesMet?: boolean;
}

interface Case {
  /** The parameter under test, named in the test's title. */
  parameter: string;
  behaviour: string;
  rules: Record<string, unknown>;
  events: Ev[];
  expected: Expected;
}

/** UTC parts of an instant, for reset times relative to now. */
function utcParts(ms: number) {
  const d = new Date(ms);
  return { hour: d.getUTCHours(), minute: d.getUTCMinutes(), date: d.toISOString().slice(0, 10) };
}

/**
 * A boundary about an hour ago, on a whole minute whose minute-of-hour is at least 5 (so that
 * a reset at that hour with the minute ignored would have opened the day before every event).
 */
function recentBoundary(now: number): number {
  let b = Math.floor((now - 60 * MINUTE) / MINUTE) * MINUTE;
  if (new Date(b).getUTCMinutes() < 5) b -= 10 * MINUTE;
  return b;
}

/** Kathmandu is UTC+05:45 all year (no DST): local parts of an instant there. */
const KATHMANDU_OFFSET = (5 * 60 + 45) * MINUTE;

function cases(now: number): Case[] {
  const b = recentBoundary(now);
  const ktm = utcParts(b + KATHMANDU_OFFSET);
  const base = { preset: "ftmo-2step", initial_balance: 100_000, live_exit_pct: 0.01 };
  // Static max rule far from the figures: its usage stays above 0 (the account stays live)
  // while the daily rule under test moves.
  const roomy = { initial_balance: 200_000, max_loss: { limit: 60, unit: "percent" } };
  // Three events around the boundary b: the day before opens at balance 100,000; a trade
  // closes at 102,000 a minute before b; after b the new day starts from that balance.
  const aroundBoundary: Ev[] = [
    { balance: 100_000, equity: 100_000, ts: b - 3 * MINUTE },
    { balance: 102_000, equity: 102_000, ts: b - MINUTE },
    { balance: 102_000, equity: 101_000, ts: b + MINUTE },
  ];
  const reset = (daily_reset: Record<string, unknown>) => ({
    ...base,
    ...roomy,
    daily_loss: { limit: 5_000, unit: "amount" },
    daily_reset,
  });
  const percentOfPeak = {
    ...base,
    daily_loss: { limit: 20 },
    max_loss: {
      limit: 6,
      unit: "percent",
      mode: "trailing",
      trail: "percent_of_peak",
      lock_at_initial: true,
    },
  };
  return [
    {
      parameter: "breach_at: at_or_below",
      behaviour: "breaches daily_loss when equity reaches the floor exactly (E6)",
      rules: {
        ...base,
        daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
        breach_at: "at_or_below",
      },
      events: [
        { balance: 100_000, equity: 99_000 },
        { balance: 100_000, equity: 95_000 },
      ],
      expected: {
        daily_floor: 95_000,
        violations: [{ rule: "daily_loss", floor: 95_000 }],
        status: "breached",
      },
    },
    {
      parameter: "currency_digits (default 2)",
      behaviour: "rounds the floor to cents, and equity at it is not a breach (E11)",
      rules: { ...base, initial_balance: 33_333.33, daily_loss: { limit: 3 } },
      events: [
        { balance: 33_333.33, equity: 33_000 },
        { balance: 33_333.33, equity: 32_333.33 },
      ],
      // 3% of 33,333.33 is 999.9999: floor 32,333.33; 10% gives 29,999.997 -> 30,000.00.
      expected: {
        daily_floor: 32_333.33,
        max_floor: 30_000,
        usage: { daily: 100 },
        violations: [],
        status: "active",
      },
    },
    {
      parameter: "currency_digits: 8",
      behaviour: "rounds the floors of a crypto-quoted account to 1e-8",
      rules: { ...base, initial_balance: 1.23456789, currency_digits: 8, daily_loss: { limit: 3 } },
      events: [{ balance: 1.23456789, equity: 1.2 }],
      // 1.23456789 - 3% = 1.1975308533 -> 1.19753085; 1.23456789 - 10% = 1.111111101 -> 1.1111111
      expected: { daily_floor: 1.19753085, max_floor: 1.1111111, violations: [] },
    },
    {
      parameter: "daily_reference: equity",
      behaviour: "takes the day start from the opening equity and keeps the floor there (E10)",
      rules: {
        ...base,
        ...roomy,
        daily_reference: "equity",
        daily_loss: { limit: 5, unit: "percent", basis: "day_start" },
      },
      events: [
        { balance: 100_000, equity: 103_000 },
        { balance: 100_000, equity: 98_000 },
      ],
      expected: {
        daily_floor: 97_850,
        usage: { daily: 97.0874 }, // 5,000 / 5,150, as metrics show it (4 decimals)
        risk: { day_start: 103_000 },
        violations: [],
      },
    },
    {
      parameter: "daily_loss.mode: trailing_intraday_high",
      behaviour: "raises the daily floor with the intraday high and breaches at it (E7)",
      rules: {
        ...base,
        ...roomy,
        daily_loss: { limit: 5_000, unit: "amount", mode: "trailing_intraday_high" },
        breach_at: "at_or_below",
      },
      events: [
        { balance: 100_000, equity: 100_000 },
        { balance: 100_000, equity: 110_000 },
        { balance: 100_000, equity: 106_000 },
        { balance: 100_000, equity: 105_000 },
      ],
      expected: {
        daily_floor: 105_000,
        risk: { day_high: 110_000, day_start: 100_000 },
        violations: [{ rule: "daily_loss", floor: 105_000 }],
        status: "breached",
      },
    },
    {
      parameter: "daily_reset.minute (UTC)",
      behaviour: "opens the new trading day at the minute, its start the balance known then",
      rules: reset({ timezone: "UTC", hour: utcParts(b).hour, minute: utcParts(b).minute }),
      events: aroundBoundary,
      expected: {
        daily_floor: 97_000,
        risk: { day_start: 102_000, day_start_ms: b, trading_day: utcParts(b).date },
        violations: [],
      },
    },
    {
      parameter: "daily_reset in Asia/Kathmandu (+05:45), label: open_date",
      behaviour: "names the day by the local date of the boundary that opened it",
      rules: reset({
        timezone: "Asia/Kathmandu",
        hour: ktm.hour,
        minute: ktm.minute,
        label: "open_date",
      }),
      events: aroundBoundary,
      expected: {
        daily_floor: 97_000,
        risk: { day_start: 102_000, day_start_ms: b, trading_day: ktm.date },
      },
    },
    {
      parameter: "daily_reset.label: close_date",
      behaviour: "names the day by the local date on which it closes",
      rules: reset({
        timezone: "Asia/Kathmandu",
        hour: ktm.hour,
        minute: ktm.minute,
        label: "close_date",
      }),
      events: aroundBoundary,
      expected: {
        daily_floor: 97_000,
        risk: {
          day_start: 102_000,
          day_start_ms: b,
          day_end_ms: b + 24 * 60 * MINUTE,
          trading_day: utcParts(b + 24 * 60 * MINUTE + KATHMANDU_OFFSET).date,
        },
      },
    },
    {
      parameter: "max_loss.mode: balance_trailing with lock_at_initial",
      behaviour: "moves the max floor with each closed balance, up to the lock (E8)",
      rules: {
        ...base,
        daily_loss: { limit: 20 },
        max_loss: { limit: 8_000, unit: "amount", mode: "balance_trailing", lock_at_initial: true },
      },
      events: [
        { balance: 100_000, equity: 99_000 },
        { balance: 105_000, equity: 103_000 },
        { balance: 108_000, equity: 107_000 },
        { balance: 110_000, equity: 109_000 },
      ],
      expected: { max_floor: 100_000, usage: { max: 10 }, risk: { hwm: 110_000 }, violations: [] },
    },
    {
      parameter: "max_loss.mode: balance_trailing",
      behaviour: "moves the max floor intraday with the closed balance, not with equity (E8)",
      rules: {
        ...base,
        daily_loss: { limit: 20 },
        max_loss: { limit: 8_000, unit: "amount", mode: "balance_trailing" },
      },
      events: [
        { balance: 100_000, equity: 99_000 },
        { balance: 105_000, equity: 103_000 },
        { equity: 104_500 },
      ],
      expected: { max_floor: 97_000, risk: { hwm: 105_000 }, violations: [] },
    },
    {
      parameter: "max_loss.trail: percent_of_peak",
      behaviour: "sizes the trailing allowance on the peak (E9)",
      rules: percentOfPeak,
      // Open trades in loss (balance 110,000) keep the daily usage above 0 at every peak.
      events: [
        { balance: 110_000, equity: 99_000 },
        { balance: 110_000, equity: 102_000 },
        { balance: 110_000, equity: 101_000 },
      ],
      expected: { max_floor: 95_880, risk: { hwm: 102_000 }, violations: [] },
    },
    {
      parameter: "max_loss.trail: percent_of_peak with lock_at_initial",
      behaviour: "locks the percent-of-peak floor at initial_balance (E9)",
      rules: percentOfPeak,
      events: [
        { balance: 110_000, equity: 99_000 },
        { balance: 110_000, equity: 106_383 },
        { balance: 110_000, equity: 104_000 },
      ],
      // 106,383 - 6% = 100,000.02, locked at 100,000.
      expected: { max_floor: 100_000, risk: { hwm: 106_383 }, violations: [] },
    },
    {
      parameter: "warn_at_pct",
      behaviour: "shows the warning levels the daily usage reached this period",
      rules: { ...base, warn_at_pct: [50, 80, 95] },
      events: [
        { balance: 100_000, equity: 99_500 },
        { balance: 100_000, equity: 97_400 },
        { balance: 100_000, equity: 95_900 },
        { balance: 100_000, equity: 99_000 },
      ],
      // Daily usage 10%, 52%, 82%, 20%: levels 50 and 80 reached, 95 not; reached levels stay.
      expected: {
        daily_floor: 95_000,
        usage: { daily: 20 },
        warnings: { daily_loss: [50, 80], max_loss: [] },
        violations: [],
      },
    },
    {
      parameter: "objectives.profit_target on equity",
      behaviour: "records objectives_met_at when the equity target is reached",
      rules: {
        ...base,
        objectives: { profit_target: { limit: 1, unit: "percent", on: "equity" } },
      },
      // Balance 102,000 with open trades in loss: equity 101,000 is +1,000 on initial.
      events: [
        { balance: 102_000, equity: 99_500 },
        { balance: 102_000, equity: 101_000 },
      ],
      expected: { max_floor: 90_000, objectivesMet: true, violations: [] },
    },
  ];
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}

describe("version 2 rules on the live monitor's event path", () => {
  for (const c of cases(Date.now())) {
    it(`${c.parameter}: ${c.behaviour}`, async () => {
      // Rebuilt now: the time-relative cases must use the clock of the test, not of collection.
      const live = cases(Date.now()).find((x) => x.parameter === c.parameter)!;
      const created = await createViaApi({ rules: live.rules });
      const id = created.account.id as number;
      const first = live.events[0]!;
      await addToSim(created, { balance: first.balance ?? 0, equity: first.equity });
      const monitor = freshMonitor();
      const row: AccountRow = await getAccount(id);
      await goLive(monitor, [row]);
      await simWait({ subscribed: [created.sessionId] }, 15_000);

      const frames = live.events.map((e) => ({
        type: "OrderProfit",
        session_id: created.sessionId,
        ...(e.ts === undefined ? {} : { timestamp: e.ts }),
        data:
          e.balance === undefined ? { equity: e.equity } : { balance: e.balance, equity: e.equity },
      }));
      // One batched frame: the events apply in order, on one turn of the monitor.
      await emit(frames);
      await eventually(
        async () => {
          const { events } = await monitor.status();
          return events.applied + events.unsubscribed >= frames.length;
        },
        15_000,
        "every event applied",
      );
      // None found the account gone: each was judged with the rules under test.
      expect((await monitor.status()).events.applied).toBe(frames.length);
      await monitor.flushNow();
      const last = live.events.at(-1)!;
      const account = await eventually(
        async () => {
          const r = await getAccount(id);
          const breachedAsExpected = live.expected.status !== "breached" || r.status === "breached";
          return r.metrics?.equity === last.equity && breachedAsExpected ? r : null;
        },
        15_000,
        "the last event's figures in Postgres",
      );
      const m = account.metrics!;
      expect(m.source).toBe("event");
      const e = live.expected;
      if (e.daily_floor !== undefined) expect(m.daily_floor).toBe(e.daily_floor);
      if (e.max_floor !== undefined) expect(m.max_floor).toBe(e.max_floor);
      if (e.usage?.daily !== undefined) expect(m.usage.daily).toBeCloseTo(e.usage.daily, 6);
      if (e.usage?.max !== undefined) expect(m.usage.max).toBeCloseTo(e.usage.max, 6);
      if (e.risk !== undefined) expect(account.riskState).toMatchObject(e.risk);
      if (e.status !== undefined) expect(account.status).toBe(e.status);
      if (e.violations !== undefined) {
        const v = await violationsOf([id]);
        expect(v.map((x) => ({ rule: x.rule, floor: x.floor }))).toEqual(e.violations);
      }
      if (e.warnings !== undefined || e.objectivesMet !== undefined) {
        const shown = await api("GET", `/v1/accounts/${id}`);
        expect(shown.status).toBe(200);
        if (e.warnings !== undefined) expect(shown.body.metrics.warnings).toEqual(e.warnings);
        if (e.objectivesMet !== undefined) {
          // The engine's moment, carried in the risk state, and recorded once on the account
          // (its `objectives_met_at` and audit row) by the live monitor's outbox.
          expect(shown.body.metrics.objectives).toMatchObject({
            met: e.objectivesMet,
            met_at: e.objectivesMet ? expect.stringMatching(/Z$/) : null,
          });
          expect(shown.body.objectives_met_at).toBe(
            e.objectivesMet ? shown.body.metrics.objectives.met_at : null,
          );
        }
      }
    });
  }
});
