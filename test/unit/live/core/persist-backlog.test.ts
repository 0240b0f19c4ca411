import { describe, expect, it } from "vitest";
import {
  compileRules,
  newStep,
  stepInPlace,
  type RiskState,
  type RuleParams,
} from "../../../../src/risk/index.ts";
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

describe("what the next reading depends on (the engine's memory_moved)", () => {
  const read = (
    rules: RuleParams,
    state: RiskState,
    equity: number,
    at: number,
    balance?: number,
  ) => {
    const step = newStep();
    expect(
      stepInPlace(compileRules(rules), state, equity, balance, at, "event", undefined, step),
    ).toBe(true);
    return step.memory_moved;
  };

  it("is not moved by the bare figures: equity, balance and the reading time", () => {
    const rules = ftmoRules();
    const state = liveState(rules, 95_300);
    expect(read(rules, state, 95_200, T0 + 5, 100_100)).toBe(false);
    expect(state.equity).toBe(95_200);
  });

  it("is moved by a new high-water mark, a new day, a breach or a warning level", () => {
    const trailing = {
      ...ftmoRules(),
      max_loss: { ...ftmoRules().max_loss, mode: "trailing" as const },
    };
    expect(read(trailing, liveState(trailing, 100_000), 100_500, T0 + 5)).toBe(true);
    const rules = ftmoRules();
    expect(read(rules, liveState(rules, 95_300), 95_300, T0 + 86_400_000)).toBe(true);
    expect(read(rules, liveState(rules, 95_300), 94_000, T0 + 5)).toBe(true);
    const warned = { ...rules, warn_at_pct: [50] };
    expect(read(warned, liveState(warned, 99_000), 96_000, T0 + 5)).toBe(true);
  });

  it("is moved when the monitoring state changes", () => {
    const rules = ftmoRules();
    // 99,500: usage 10%, below the exit threshold: live -> polling.
    expect(read(rules, liveState(rules, 95_300), 99_500, T0 + 5)).toBe(true);
  });
});
