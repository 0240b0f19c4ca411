import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditOf } from "../fixtures.ts";
import { applyReading, toChange } from "../../../src/domain/outcome.ts";
import { accounts, readings } from "../../../src/db/schema.ts";
import { postgresWrite } from "../../../src/live/postgres-write.ts";
import { PostgresWriter, type OutboxEntry, type WriterHost } from "../../../src/live/writer.ts";
import { createTestAccount, getAccount, violationsOf, withTestDb } from "../helpers.ts";

/**
 * The live monitor's writer over the real database, with a host whose outbox acknowledgement
 * fails on demand: the batch commits, then the ack throws (an eviction or error between
 * commit and ack), so the next flush replays the same outbox entry.
 */
function hostWithFlakyAck(entries: OutboxEntry[], failAcks: number) {
  let failing = failAcks;
  const host: WriterHost = {
    now: () => Date.now(),
    outbox: {
      readOutbox: (limit) => entries.slice(0, limit),
      ackOutbox: (seq) => {
        if (failing > 0) {
          failing--;
          throw new Error("ack lost (test seam)");
        }
        entries.splice(0, entries.filter((e) => e.seq <= seq).length);
      },
      ackOutboxEntry: (seq) => {
        const i = entries.findIndex((e) => e.seq === seq);
        if (i >= 0) entries.splice(i, 1);
      },
      deadLetter: () => {
        throw new Error("no entry of this test may become a dead letter");
      },
      outboxSize: () => entries.length,
    },
    current: () => undefined,
    write: postgresWrite(env),
    wakeAt: () => {},
  };
  return host;
}

describe("the live writer, exactly once", () => {
  it("lands a breach once when its batch committed but the outbox ack failed and the batch is replayed", async () => {
    const a = await createTestAccount({ inSim: false });
    await withTestDb((db) =>
      db.update(accounts).set({ monitoringState: "live" }).where(eq(accounts.id, a.id)),
    );
    const outcome = applyReading(a.id, a.rules, null, "live", {
      balance: 100_000,
      equity: 94_000,
      at: Date.now(),
      source: "event",
    });
    expect(outcome.applied && outcome.breached).toBe(true);
    if (!outcome.applied) return;
    const entries: OutboxEntry[] = [
      { seq: 1, accountId: a.id, change: toChange(a.rules, outcome), createdAt: Date.now() },
    ];
    const writer = new PostgresWriter(hostWithFlakyAck(entries, 1));

    await writer.flush(); // commits, then the ack throws: the entry stays
    expect(entries).toHaveLength(1);
    expect(writer.failing).toBe(true);
    await writer.flush(); // the replay
    expect(entries).toHaveLength(0);
    expect(writer.failing).toBe(false);

    expect(await violationsOf([a.id])).toHaveLength(1);
    const points = await withTestDb((db) =>
      db.select().from(readings).where(eq(readings.accountId, a.id)),
    );
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ equity: 94_000, source: "event" });
    const audit = await auditOf(a.id);
    // The breach's audit rows (status, and leaving live), each once.
    expect(audit.map((r) => [r.field, r.fromValue, r.toValue]).sort()).toEqual([
      ["monitoring_state", "live", "polling"],
      ["status", "active", "breached"],
    ]);
    expect((await getAccount(a.id)).status).toBe("breached");
  });
});
