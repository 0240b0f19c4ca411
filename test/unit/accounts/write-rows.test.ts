/**
 * The rows a batch of account changes writes (src/domain/write-rows.ts), built in Node without
 * a database. The statements that send them are tested against Postgres in
 * test/worker/write-changes.test.ts.
 */
import { describe, expect, it } from "vitest";
import { applyReading, toChange, type AccountChange } from "../../../src/domain/outcome.ts";
import {
  accountUpdateRows,
  alertRefs,
  appliedChanges,
  breachAuditRows,
  breachedAccountIds,
  breachingChanges,
  changeAuditRows,
  evidenceByAccount,
  readingRows,
  violationRows,
  type EvidenceQueryRow,
  type GuardedChange,
} from "../../../src/domain/write-rows.ts";
import { initialState, type ReadingSource } from "../../../src/risk/index.ts";
import { ftmoRules, T0 } from "../fixtures.ts";

const rules = ftmoRules();

/** The change of account `id` when its equity goes from 99,000 to `equity` one second later. */
function changeOf(
  id: number,
  equity: number,
  opts: { at?: number; source?: ReadingSource; rulesVersion?: number } = {},
): AccountChange {
  const at = opts.at ?? T0;
  const source = opts.source ?? "poll";
  const state = initialState(
    rules,
    { equity: 99_000, balance: 100_000, at: at - 1_000, source },
    "polling",
  );
  const outcome = applyReading(id, rules, state, "polling", {
    equity,
    balance: 100_000,
    at,
    source,
  });
  if (!outcome.applied) throw new Error("reading not applied");
  return toChange(
    rules,
    outcome,
    opts.rulesVersion === undefined ? {} : { rulesVersion: opts.rulesVersion },
  );
}

function guarded(change: AccountChange, expectVersion?: number): GuardedChange {
  return {
    change,
    expectMonitoring: "polling",
    ...(expectVersion === undefined ? {} : { expectVersion }),
  };
}

/** A breach of the daily loss (floor 95,000) for account `id`. */
const breachOf = (id: number, opts: Parameters<typeof changeOf>[2] = {}) =>
  changeOf(id, 94_000, opts);

describe("the guarded update's input", () => {
  it("holds one row per account, the latest change winning", () => {
    const rows = accountUpdateRows([
      guarded(changeOf(1, 98_000, { at: T0 })),
      guarded(changeOf(2, 97_500)),
      guarded(changeOf(1, 97_000, { at: T0 + 5_000 }), 4),
    ]);
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    const one = rows.find((r) => r.id === 1)!;
    expect(one.metrics.equity).toBe(97_000);
    expect(one.risk_state.last_at).toBe(T0 + 5_000);
    expect(one.expect_version).toBe(4);
    expect(one.expect_monitoring).toBe("polling");
    expect(rows.find((r) => r.id === 2)!.expect_version).toBeNull();
  });

  it("keeps the moment the objectives were met when a later change of the account does not carry it", () => {
    const met = { ...changeOf(1, 98_000, { at: T0 }), objectivesMetAt: T0 };
    const later = changeOf(1, 98_500, { at: T0 + 1_000 });
    const [row] = accountUpdateRows([guarded(met), guarded(later)]);
    expect(row!.objectives_met_at).toBe(new Date(T0).toISOString());
    expect(row!.metrics.equity).toBe(98_500);
  });

  it("keeps the first moment the objectives were met when two changes of the batch carry one", () => {
    const first = { ...changeOf(1, 98_000, { at: T0 }), objectivesMetAt: T0 };
    const again = { ...changeOf(1, 98_500, { at: T0 + 1_000 }), objectivesMetAt: T0 + 1_000 };
    const [row] = accountUpdateRows([guarded(first), guarded(again)]);
    expect(row!.objectives_met_at).toBe(new Date(T0).toISOString());
  });

  it("sends status and monitoring state only when the change moves them", () => {
    const [quiet] = accountUpdateRows([guarded(changeOf(1, 98_000))]);
    expect([quiet!.status, quiet!.monitoring_state, quiet!.objectives_met_at]).toEqual([
      null,
      null,
      null,
    ]);
    const [breach] = accountUpdateRows([guarded(breachOf(1))]);
    expect(breach!.status).toBe("breached");
  });
});

describe("violations and their evidence", () => {
  it("asks evidence only for changes with violations and the rules that judged them", () => {
    const breach = breachOf(1);
    const noRules = { ...breachOf(3) };
    delete noRules.rules;
    expect(
      breachingChanges([guarded(breach), guarded(changeOf(2, 98_000)), guarded(noRules)]),
    ).toEqual([breach]);
  });

  it("builds each breach's evidence from the readings before it, newest first, and the account's rules version", () => {
    const breach = breachOf(1);
    const rows: EvidenceQueryRow[] = [
      {
        account_id: 1,
        rules_version: 3,
        at: new Date(T0 - 2_000),
        balance: 100_000,
        equity: 98_000,
        usage: 40,
        source: "poll",
      },
      {
        account_id: 1,
        rules_version: 3,
        at: new Date(T0 - 9_000).toISOString(),
        balance: 100_000,
        equity: 99_000,
        usage: 20,
        source: "poll",
      },
    ];
    const evidence = evidenceByAccount([breach], rows).get(1)!;
    expect(evidence.version).toBe(3);
    expect(evidence.evidence.rules_version).toBe(3);
    expect(evidence.evidence.rules).toEqual(rules);
    expect(evidence.evidence.figures.equity).toBe(94_000);
    expect(evidence.evidence.readings_before.map((r) => [r.at, r.equity])).toEqual([
      [new Date(T0 - 2_000).toISOString(), 98_000],
      [new Date(T0 - 9_000).toISOString(), 99_000],
    ]);
  });

  it("prefers the change's own rules version, and gives an account with no readings empty evidence", () => {
    const breach = breachOf(1, { rulesVersion: 7 });
    const rows: EvidenceQueryRow[] = [
      {
        account_id: 1,
        rules_version: 8,
        at: null,
        balance: null,
        equity: null,
        usage: null,
        source: null,
      },
    ];
    const evidence = evidenceByAccount([breach], rows).get(1)!;
    expect(evidence.version).toBe(7);
    expect(evidence.evidence.readings_before).toEqual([]);
  });

  it("gives an account the query did not find a null rules version", () => {
    expect(evidenceByAccount([breachOf(1)], []).get(1)!.version).toBeNull();
  });

  it("writes every violation with its account's evidence, falling back to the change's rules version", () => {
    const a = breachOf(1);
    const b = breachOf(2, { rulesVersion: 5, source: "event" });
    const evidence = evidenceByAccount(
      [a],
      [
        {
          account_id: 1,
          rules_version: 2,
          at: null,
          balance: null,
          equity: null,
          usage: null,
          source: null,
        },
      ],
    );
    const rows = violationRows([guarded(a), guarded(b), guarded(changeOf(3, 98_000))], evidence);
    expect(rows.map((r) => [r.accountId, r.rule, r.period, r.rulesVersion, r.source])).toEqual([
      [1, "daily_loss", a.violations[0]!.period, 2, "poll"],
      [2, "daily_loss", b.violations[0]!.period, 5, "event"],
    ]);
    expect(rows[0]!.evidence).toBe(evidence.get(1)!.evidence);
    expect(rows[1]!.evidence).toBeNull();
    expect(rows[0]!.detectedAt).toEqual(new Date(T0));
    expect(rows[0]!.floor).toBe(95_000);
  });

  it("marks each breached account once", () => {
    const rows = violationRows(
      [guarded(breachOf(1)), guarded(breachOf(1, { at: T0 + 1 })), guarded(breachOf(2))],
      new Map(),
    );
    expect(breachedAccountIds(rows)).toEqual([1, 2]);
  });
});

describe("audit lines", () => {
  it("records the entries of the changes that landed only, deriving the action from the field", () => {
    const breach = breachOf(1);
    const missed = breachOf(2);
    const rows = changeAuditRows([guarded(breach), guarded(missed)], new Set([1]));
    expect(
      rows.map((r) => [r.accountId, r.action, r.actor, r.field, r.fromValue, r.toValue]),
    ).toEqual([[1, "account.breached", "poller", "status", "active", "breached"]]);
    expect(rows[0]!.before).toEqual({ status: "active" });
    expect(rows[0]!.after).toEqual({ status: "breached" });
    expect(rows[0]!.at).toEqual(new Date(T0));
  });

  it("calls an entry whose field names no system action an update, and keeps a named action", () => {
    const change = changeOf(1, 98_000);
    change.audit.push(
      { field: "status", from: "active", to: "disabled", reason: "r", source: "event", at: T0 },
      {
        action: "account.objectives_met",
        field: "objectives",
        from: null,
        to: "met",
        reason: "m",
        source: "poll",
        at: T0,
      },
    );
    const rows = changeAuditRows([guarded(change)], new Set([1]));
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ["account.updated", "monitor"],
      ["account.objectives_met", "poller"],
    ]);
  });

  it("writes account.breached for each account a violation marked, by the source of its first violation", () => {
    const violated = violationRows(
      [guarded(breachOf(1, { source: "event" })), guarded(breachOf(2))],
      new Map(),
    );
    const at = new Date(T0 + 60_000);
    const rows = breachAuditRows([2, 1], violated, at);
    expect(rows.map((r) => [r.accountId, r.action, r.actor, r.source, r.reason, r.at])).toEqual([
      [2, "account.breached", "poller", "poll", "violation recorded", at],
      [1, "account.breached", "monitor", "event", "violation recorded", at],
    ]);
  });
});

describe("readings and alert references", () => {
  it("leaves a reading for every change the writer picks, two of one account included", () => {
    const batch = [
      guarded(changeOf(1, 98_000, { at: T0 })),
      guarded(changeOf(1, 97_000, { at: T0 + 1_000 })),
      guarded(changeOf(2, 96_000, { source: "event" })),
    ];
    expect(
      readingRows(batch, () => true).map((r) => [r.account_id, r.at, r.equity, r.source]),
    ).toEqual([
      [1, new Date(T0).toISOString(), 98_000, "poll"],
      [1, new Date(T0 + 1_000).toISOString(), 97_000, "poll"],
      [2, new Date(T0).toISOString(), 96_000, "event"],
    ]);
    expect(
      readingRows(batch, (c) => c.reading.source === "event").map((r) => r.account_id),
    ).toEqual([2]);
  });

  it("alerts on the changes that landed only", () => {
    const batch = [guarded(changeOf(1, 98_000)), guarded(changeOf(2, 97_000))];
    expect(appliedChanges(batch, new Set([2])).map((c) => c.accountId)).toEqual([2]);
  });

  it("names the accounts whose new violation landed without their update, each once", () => {
    const updated = [{ id: 1, login: "1001", server: "Demo", label: null, prev_problem: "auth" }];
    const recorded = [
      { id: 10, accountId: 1, rule: "daily_loss", period: "2026-03-10" },
      { id: 11, accountId: 2, rule: "daily_loss", period: "2026-03-10" },
      { id: 12, accountId: 2, rule: "max_loss", period: "all" },
    ];
    const { refs, missing } = alertRefs(updated, recorded);
    expect([...refs.keys()]).toEqual([1]);
    expect(refs.get(1)!.prev_problem).toBe("auth");
    expect(missing).toEqual([2]);
  });
});
