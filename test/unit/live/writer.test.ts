import { describe, expect, it } from "vitest";
import { figuresChange, type AccountChange } from "../../../src/domain/outcome.ts";
import type { WriteResult } from "../../../src/accounts/write-changes.ts";
import {
  METRICS_FLUSH_MS,
  PostgresWriter,
  READING_EVERY_MS,
  WRITE_STALL_MS,
  type OutboxEntry,
  type WriteBatch,
  type WriterHost,
} from "../../../src/live/writer.ts";
import type { Subscription } from "../../../src/live/core/subscriptions.ts";
import { liveSub, T0 } from "../fixtures.ts";

/**
 * A writer's world without a Durable Object or Postgres (the `FakeHost` habit of
 * cloudflare/agents): a clock the test moves, an in-memory outbox, live accounts, and a
 * database that records each batch or fails on demand.
 */
class FakeHost implements WriterHost {
  clock = T0;
  down = false;
  /** Writes that never settle (an invocation torn down under them), while true. */
  hang = false;
  /** Write calls, settled or not. */
  calls = 0;
  /** Accounts whose changes fail with this error whenever written (a bad entry). */
  readonly failFor = new Map<number, unknown>();
  readonly dead: Array<{ entry: OutboxEntry; error: string }> = [];
  readonly batches: WriteBatch[] = [];
  readonly wakes: number[] = [];
  readonly subs = new Map<number, Subscription>();
  private entries: OutboxEntry[] = [];
  private seq = 0;

  readonly now = () => this.clock;
  readonly outbox = {
    readOutbox: (limit: number) => this.entries.slice(0, limit),
    ackOutbox: (seq: number) => {
      this.entries = this.entries.filter((e) => e.seq > seq);
    },
    ackOutboxEntry: (seq: number) => {
      this.entries = this.entries.filter((e) => e.seq !== seq);
    },
    deadLetter: (entry: OutboxEntry, error: string) => {
      this.entries = this.entries.filter((e) => e.seq !== entry.seq);
      this.dead.push({ entry, error });
    },
    outboxSize: () => this.entries.length,
  };

  current(accountId: number) {
    return this.subs.get(accountId);
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    this.calls++;
    if (this.hang) return new Promise<WriteResult>(() => {});
    if (this.down) throw new Error("database down");
    for (const c of batch.changes) {
      const err = this.failFor.get(c.change.accountId);
      if (err) throw err;
    }
    this.batches.push(batch);
    return {
      applied: new Set(batch.changes.map((c) => c.change.accountId)),
      recorded: [],
      actions: [],
    };
  }

  wakeAt(at: number): void {
    this.wakes.push(at);
  }

  enqueue(change: AccountChange): void {
    this.entries.push({ seq: ++this.seq, accountId: change.accountId, change, createdAt: 0 });
  }

  live(...ids: number[]): void {
    for (const id of ids) this.subs.set(id, liveSub(id));
  }

  /** Account ids of the last batch, and which of them left a reading. */
  last(): { ids: number[]; readings: number[] } {
    const b = this.batches.at(-1)!;
    const ids = b.changes.map((c) => c.change.accountId);
    return {
      ids,
      readings: b.changes.filter((c) => b.readingsFor(c.change)).map((c) => c.change.accountId),
    };
  }
}

function setup() {
  const host = new FakeHost();
  return { host, writer: new PostgresWriter(host) };
}

describe("the live monitor's writer", () => {
  it("abandons a flush that never settles after WRITE_STALL_MS and writes the outbox again", async () => {
    const { host, writer } = setup();
    host.live(1);
    const sub = host.subs.get(1)!;
    host.enqueue(figuresChange(1, sub.rules, sub.risk!, "event"));
    host.hang = true;
    void writer.flushIfDue(T0);
    expect(host.calls).toBe(1);
    host.hang = false;
    // Still within its time: the running flush is waited for, not doubled.
    host.clock = T0 + WRITE_STALL_MS - 1;
    void writer.flushIfDue(host.clock);
    expect(host.calls).toBe(1);
    host.clock = T0 + WRITE_STALL_MS;
    await writer.flushIfDue(host.clock);
    expect(host.calls).toBe(2);
    expect(host.last().ids).toEqual([1]);
    expect(host.outbox.outboxSize()).toBe(0);
  });

  it("has nothing due until figures change, then writes them METRICS_FLUSH_MS after the first change", async () => {
    const { host, writer } = setup();
    host.live(1, 2);
    expect(writer.dueAt()).toBeUndefined();
    expect(writer.markDirty(1, T0, "event")).toBe(T0 + METRICS_FLUSH_MS);
    expect(writer.markDirty(2, T0 + 500, "event")).toBe(T0 + METRICS_FLUSH_MS);
    await writer.flushIfDue(T0 + METRICS_FLUSH_MS - 1);
    expect(host.batches).toHaveLength(0);
    await writer.flushIfDue(T0 + METRICS_FLUSH_MS);
    expect(host.last().ids).toEqual([1, 2]);
    expect(host.batches[0]!.changes.every((c) => c.expectMonitoring === "live")).toBe(true);
    expect(writer.dueAt()).toBeUndefined();
  });

  it("writes an outbox entry at once, and not also as bare figures", async () => {
    const { host, writer } = setup();
    host.live(1);
    writer.markDirty(1, T0, "event");
    host.enqueue({ ...figuresOf(host, 1), status: "breached" });
    expect(writer.dueAt()).toBe(0);
    await writer.flushIfDue(T0);
    expect(host.last().ids).toEqual([1]);
    expect(host.batches[0]!.changes[0]!.change.status).toBe("breached");
    expect(host.outbox.outboxSize()).toBe(0);
  });

  it("thins equity readings to one per account per READING_EVERY_MS, outbox entries aside", async () => {
    const { host, writer } = setup();
    host.live(1);
    writer.markDirty(1, T0, "event");
    await writer.flush();
    expect(host.last().readings).toEqual([1]);
    host.clock = T0 + READING_EVERY_MS - 1;
    writer.markDirty(1, host.clock, "event");
    await writer.flush();
    expect(host.last().readings).toEqual([]);
    host.clock = T0 + READING_EVERY_MS;
    writer.markDirty(1, host.clock, "event");
    await writer.flush();
    expect(host.last().readings).toEqual([1]);
  });

  it("after a failed batch keeps its figures and problems, asks for a wake-up, and retries only when the gate opens", async () => {
    const { host, writer } = setup();
    host.live(1);
    host.down = true;
    writer.markDirty(1, T0, "poll");
    writer.problem(1, "session_expired");
    await writer.flush();
    expect(writer.failing).toBe(true);
    const retryAt = writer.retryDue()!;
    expect(retryAt).toBeGreaterThan(T0);
    expect(host.wakes).toEqual([retryAt]);
    expect([...writer.dirtyIds()]).toEqual([1]);
    expect(writer.dueAt()).toBe(retryAt);
    host.down = false;
    await writer.flushIfDue(retryAt - 1);
    expect(host.batches).toHaveLength(0);
    host.clock = retryAt;
    await writer.flushIfDue(retryAt);
    expect(host.last().ids).toEqual([1]);
    expect(host.batches[0]!.problems).toEqual([{ accountId: 1, problem: "session_expired" }]);
    expect(host.batches[0]!.changes[0]!.change.metrics.source).toBe("poll");
    expect(writer.failing).toBe(false);
    expect(writer.retryDue()).toBeUndefined();
  });

  it("forgets an account that left live monitoring", async () => {
    const { host, writer } = setup();
    host.live(1, 2);
    writer.markDirty(1, T0, "event");
    writer.markDirty(2, T0, "event");
    writer.forget(1);
    await writer.flush();
    expect(host.last().ids).toEqual([2]);
  });

  it("skips a dirty account that is no longer subscribed", async () => {
    const { host, writer } = setup();
    host.live(1);
    writer.markDirty(1, T0, "event");
    writer.markDirty(9, T0, "event");
    await writer.flush();
    expect(host.last().ids).toEqual([1]);
  });
});

/** The change of account `id`'s current figures (as an outbox entry would hold it). */
function figuresOf(host: FakeHost, id: number): AccountChange {
  const sub = host.subs.get(id)!;
  return figuresChange(id, sub.rules, sub.risk!, "event");
}

/** A driver error with a SQLSTATE, wrapped as drizzle wraps it. */
function pgError(code: string, message: string): Error {
  return new Error("Failed query", { cause: Object.assign(new Error(message), { code }) });
}

describe("the writer's outbox under entries that cannot land", () => {
  function withEntries(host: FakeHost, ...ids: number[]): void {
    host.live(...ids);
    for (const id of ids) host.enqueue({ ...figuresOf(host, id), status: "breached" });
  }

  it("sets an entry that fails on its own aside as a dead letter and lands the others", async () => {
    const { host, writer } = setup();
    withEntries(host, 1, 2, 3);
    host.failFor.set(2, pgError("23502", 'null value in column "equity"'));
    await writer.flush();
    expect(host.batches.map((b) => b.changes.map((c) => c.change.accountId))).toEqual([[1], [3]]);
    expect(host.dead.map((d) => d.entry.accountId)).toEqual([2]);
    expect(host.dead[0]!.error).toMatch(/^23502: null value/);
    expect(host.outbox.outboxSize()).toBe(0);
    expect(writer.failing).toBe(false);
  });

  it("treats an entry whose account is gone as done", async () => {
    const { host, writer } = setup();
    withEntries(host, 1, 2);
    host.failFor.set(1, pgError("23503", "violates foreign key constraint"));
    await writer.flush();
    expect(host.last().ids).toEqual([2]);
    expect(host.dead).toEqual([]);
    expect(host.outbox.outboxSize()).toBe(0);
  });

  it("keeps every entry and sets nothing aside while the database is out of reach", async () => {
    const { host, writer } = setup();
    withEntries(host, 1, 2);
    host.failFor.set(1, pgError("08006", "connection failure"));
    await writer.flush();
    expect(host.dead).toEqual([]);
    expect(host.outbox.outboxSize()).toBe(2);
    expect(writer.failing).toBe(true);
  });

  it("retries one change alone and reports its error", async () => {
    const { host, writer } = setup();
    host.live(1);
    host.failFor.set(1, pgError("23502", "null value"));
    const failed = await writer.writeOne(figuresOf(host, 1));
    expect(failed.ok).toBe(false);
    host.failFor.clear();
    expect(await writer.writeOne(figuresOf(host, 1))).toEqual({ ok: true });
    expect(host.last().ids).toEqual([1]);
  });
});
