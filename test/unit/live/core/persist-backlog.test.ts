import { describe, expect, it } from "vitest";
import { memoryMoved } from "../../../../src/live/core/event-path.ts";
import {
  PERSIST_ROWS_PER_TICK,
  PersistBacklog,
} from "../../../../src/live/core/persist-backlog.ts";
import { ftmoRules, liveState, T0 } from "../../fixtures.ts";

describe("the persist backlog", () => {
  it("hands out at most the bound per tick, longest behind first, and remembers the last and largest tick", () => {
    const backlog = new PersistBacklog();
    for (let id = 1; id <= PERSIST_ROWS_PER_TICK + 20; id++) backlog.mark(id);
    // Marking again does not move an account to the back of the line.
    backlog.mark(1);
    const first = backlog.take();
    expect(first).toHaveLength(PERSIST_ROWS_PER_TICK);
    expect(first[0]).toBe(1);
    expect(backlog.figures()).toEqual({
      last: PERSIST_ROWS_PER_TICK,
      max: PERSIST_ROWS_PER_TICK,
      backlog: 20,
    });
    const second = backlog.take();
    expect(second).toEqual(Array.from({ length: 20 }, (_, i) => PERSIST_ROWS_PER_TICK + 1 + i));
    expect(backlog.figures()).toEqual({ last: 20, max: PERSIST_ROWS_PER_TICK, backlog: 0 });
  });

  it("forgets an account saved in full or released", () => {
    const backlog = new PersistBacklog();
    backlog.mark(7);
    backlog.mark(8);
    backlog.forget(7);
    expect(backlog.take(10)).toEqual([8]);
    expect(backlog.take(10)).toEqual([]);
    expect(backlog.figures().last).toBe(0);
  });
});

describe("what the next reading depends on", () => {
  const rules = ftmoRules();
  const prev = liveState(rules, 95_300);

  it("is not moved by the bare figures: equity, balance and the reading time", () => {
    expect(memoryMoved(prev, { ...prev, equity: 95_200, balance: 100_100, last_at: T0 + 5 })).toBe(
      false,
    );
  });

  it("is moved by the high-water mark, the day, a day high, an adjustment, a breach or a warning level", () => {
    const changes = [
      { hwm: prev.hwm + 1 },
      { trading_day: "2026-03-11" },
      { day_start: prev.day_start + 1 },
      { day_high: 101_000 },
      { adjustment: 500, adjustment_id: 3 },
      { breached: { daily_loss: "2026-03-10", max_loss: null } },
      { warned: { daily_loss: 1, max_loss: 0 } },
      { monitoring: "polling" as const },
    ];
    for (const change of changes) expect(memoryMoved(prev, { ...prev, ...change })).toBe(true);
  });
});
