import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  METRICS_FLUSH_MS,
  READING_EVERY_MS,
  WriteBacklog,
} from "../../../../src/live/core/write-backlog.ts";
import { T0 } from "../../fixtures.ts";
import { WriteBacklog as ReferenceBacklog } from "./reference/write-backlog.ts";

describe("the writer's backlog", () => {
  it("is due METRICS_FLUSH_MS after the oldest dirty mark, and hands out the oldest accounts first with their source", () => {
    const b = new WriteBacklog();
    expect(b.figuresDueAt()).toBeUndefined();
    expect(b.markDirty(1, T0, "event")).toBe(T0 + METRICS_FLUSH_MS);
    expect(b.markDirty(2, T0 + 700)).toBe(T0 + METRICS_FLUSH_MS);
    expect(b.takeDirty(1)).toEqual([{ accountId: 1, source: "event" }]);
    // Account 2 never said where its figures came from: a poll, as before the monitor.
    expect(b.takeDirty(5)).toEqual([{ accountId: 2, source: "poll" }]);
    expect(b.since).toBeNull();
    expect(b.figuresDueAt()).toBeUndefined();
  });

  it("puts back what a failed batch took, keeping the older mark and any newer problem", () => {
    const b = new WriteBacklog();
    b.markDirty(1, T0, "event");
    b.problem(1, "session_expired");
    const since = b.since!;
    const taken = b.takeDirty(10);
    const problems = b.takeProblems();
    expect(problems).toEqual([{ accountId: 1, problem: "session_expired" }]);
    // Meanwhile: account 3 got figures, account 1's problem cleared.
    b.markDirty(3, T0 + 1_500, "event");
    b.problem(1, null);
    b.restore(
      taken.map((d) => d.accountId),
      since,
      problems,
    );
    expect(b.since).toBe(T0);
    expect([...b.dirtyIds()].sort()).toEqual([1, 3]);
    expect(b.takeProblems()).toEqual([{ accountId: 1, problem: null }]);
  });

  it("lets an account leave an equity reading once per READING_EVERY_MS, and forgets it entirely when it leaves", () => {
    const b = new WriteBacklog();
    expect(b.readingDue(1, T0)).toBe(true);
    expect(b.readingDue(1, T0 + READING_EVERY_MS - 1)).toBe(false);
    expect(b.readingDue(1, T0 + READING_EVERY_MS)).toBe(true);
    b.markDirty(1, T0, "event");
    b.forget(1);
    expect([...b.dirtyIds()]).toEqual([]);
    expect(b.readingDue(1, T0 + READING_EVERY_MS + 1)).toBe(true);
  });

  it("sends a problem clear once: after a batch wrote it, further clears of that account are dropped until a problem is marked again", () => {
    const b = new WriteBacklog();
    b.problem(1, null);
    const first = b.takeProblems();
    expect(first).toEqual([{ accountId: 1, problem: null }]);
    b.written(first);
    b.problem(1, null);
    expect(b.problemCount).toBe(0);
    b.problem(1, "session_expired");
    b.written(b.takeProblems());
    b.problem(1, null);
    expect(b.takeProblems()).toEqual([{ accountId: 1, problem: null }]);
  });

  it("keeps sending a clear that a failed batch never wrote", () => {
    const b = new WriteBacklog();
    b.problem(2, null);
    const taken = b.takeProblems();
    b.restore([], T0, taken);
    b.problem(2, null);
    expect(b.takeProblems()).toEqual([{ accountId: 2, problem: null }]);
  });
});

describe("the backlog agrees with the reference (the sources folded into the dirty map)", () => {
  // reference/write-backlog.ts is the bookkeeping before one map carried the dirty accounts and
  // their sources: every answer must be the same on any sequence of operations.
  const id = fc.integer({ min: 1, max: 6 });
  const source = fc.constantFrom("event" as const, "poll" as const, undefined);
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.record({ k: fc.constant("mark" as const), id, source }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("forget" as const), id }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant("take" as const),
        limit: fc.integer({ min: 0, max: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("restore" as const), ids: fc.array(id) }) },
  );

  it("hands out the same accounts, sources, ids and due times", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
        const ref = new ReferenceBacklog();
        const b = new WriteBacklog();
        let now = T0;
        for (const o of ops) {
          now += 100;
          if (o.k === "mark")
            expect(b.markDirty(o.id, now, o.source)).toBe(ref.markDirty(o.id, now, o.source));
          else if (o.k === "forget") {
            b.forget(o.id);
            ref.forget(o.id);
          } else if (o.k === "take") expect(b.takeDirty(o.limit)).toEqual(ref.takeDirty(o.limit));
          else {
            b.restore(o.ids, now, []);
            ref.restore(o.ids, now, []);
          }
          expect([...b.dirtyIds()]).toEqual([...ref.dirtyIds()]);
          expect(b.since).toBe(ref.since);
          expect(b.figuresDueAt()).toBe(ref.figuresDueAt());
        }
        expect(b.takeDirty(100)).toEqual(ref.takeDirty(100));
      }),
      { numRuns: 500 },
    );
  });
});
