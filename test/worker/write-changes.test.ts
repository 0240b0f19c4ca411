import { describe, expect, it } from "vitest";
import { auditOf } from "./fixtures.ts";
import { applyReading, toChange } from "../../src/domain/outcome.ts";
import { writeChanges } from "../../src/accounts/write-changes.ts";
import { initialState } from "../../src/risk/index.ts";
import { createTestAccount, getAccount, violationsOf, withTestDb } from "./helpers.ts";

describe("writing account changes", () => {
  it("marks an account breached when its violation lands even though the guarded update missed (an operator moved it meanwhile)", async () => {
    // The live monitor queued a breach; meanwhile an operator forced the account to polling.
    const row = await createTestAccount({ monitoring_state: "polling" });
    const at = Date.now();
    const state = initialState(
      row.rules,
      { equity: 95_400, balance: 100_000, at: at - 1_000, source: "event" },
      "live",
    );
    const outcome = applyReading(row.id, row.rules, state, "live", {
      equity: 94_000,
      balance: 100_000,
      at,
      source: "event",
    });
    if (!outcome.applied || !outcome.breached) throw new Error("expected a breach");
    const result = await withTestDb((db) =>
      writeChanges(db, [{ change: toChange(row.rules, outcome), expectMonitoring: "live" }]),
    );
    expect(result.applied.has(row.id)).toBe(false);
    expect(result.recorded).toHaveLength(1);
    expect(await violationsOf([row.id])).toHaveLength(1);
    const after = await getAccount(row.id);
    expect(after.status).toBe("breached");
    expect(after.stateVersion).toBe(row.stateVersion + 1);
    const audit = await auditOf(row.id, "status");
    expect(audit.map((a) => [a.fromValue, a.toValue, a.source])).toEqual([
      ["active", "breached", "event"],
    ]);
  });

  it("writes a batch holding two changes of one account as one update, the later one winning", async () => {
    const row = await createTestAccount();
    const at = Date.now();
    const state = initialState(
      row.rules,
      { equity: 99_000, balance: 100_000, at: at - 1_000, source: "poll" },
      "polling",
    );
    const first = applyReading(row.id, row.rules, state, "polling", {
      equity: 98_000,
      at,
      source: "poll",
    });
    if (!first.applied) throw new Error("not applied");
    const second = applyReading(row.id, row.rules, first.state, "polling", {
      equity: 97_500,
      at: at + 1,
      source: "poll",
    });
    if (!second.applied) throw new Error("not applied");
    await withTestDb((db) =>
      writeChanges(db, [
        { change: toChange(row.rules, first), expectMonitoring: "polling" },
        { change: toChange(row.rules, second), expectMonitoring: "polling" },
      ]),
    );
    expect((await getAccount(row.id)).metrics?.equity).toBe(97_500);
  });
});

describe("concurrent pollers", () => {
  it("never store an older reading over a newer one (the high-water mark cannot go down)", async () => {
    const row = await createTestAccount();
    const at = Date.now();
    const opened = initialState(
      row.rules,
      { equity: 100_000, balance: 100_000, at: at - 10_000, source: "poll" },
      "polling",
    );
    const read = (equity: number, when: number) => {
      const o = applyReading(row.id, row.rules, opened, "polling", {
        equity,
        balance: 100_000,
        at: when,
        source: "poll",
      });
      if (!o.applied) throw new Error("not applied");
      return { change: toChange(row.rules, o), expectMonitoring: "polling" as const };
    };
    // The newer sweep lands first; the older one, late, must not undo it.
    await withTestDb((db) => writeChanges(db, [read(104_000, at)]));
    const late = await withTestDb((db) => writeChanges(db, [read(101_000, at - 5_000)]));
    expect(late.applied.size).toBe(0);
    const after = await getAccount(row.id);
    expect(after.metrics?.equity).toBe(104_000);
    expect(after.riskState?.last_at).toBe(at);
  });
});
