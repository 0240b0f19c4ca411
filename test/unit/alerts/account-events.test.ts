import { describe, expect, it } from "vitest";
import { accountEventAlerts, problemAlerts } from "../../../src/domain/account-alerts.ts";
import type { AccountChange } from "../../../src/domain/outcome.ts";

const ref = { id: 1, login: "100", server: "S", label: null, prev_problem: null };
const usage = { daily: 97.5, max: 40, overall: 97.5 };

function change(over: Partial<AccountChange> = {}): AccountChange {
  return {
    accountId: 1,
    riskState: {} as AccountChange["riskState"],
    metrics: { usage } as AccountChange["metrics"],
    violations: [],
    audit: [],
    reading: { at: 0, balance: 0, equity: 0, usage: 0, source: "poll" },
    ...over,
  };
}

describe("account event alerts", () => {
  it("makes one violation.recorded per newly recorded violation, none for ones already on record", () => {
    const inserted = [
      {
        accountId: 1,
        rule: "daily_loss",
        period: "2026-11-29",
        equity: 94_000,
        floor: 95_000,
        usage: 120,
        source: "poll",
        detectedAt: new Date(0),
      },
      {
        accountId: 1,
        rule: "max_loss",
        period: "lifetime",
        equity: 94_000,
        floor: 90_000,
        usage: 60,
        source: "poll",
        detectedAt: new Date(0),
      },
    ];
    // Only the daily one was new (the unique key dropped the other).
    const alerts = accountEventAlerts(
      [],
      [{ id: 9, accountId: 1, rule: "daily_loss", period: "2026-11-29" }],
      inserted,
      new Map([[1, ref]]),
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      type: "violation.recorded",
      data: {
        account: { id: 1, login: "100" },
        violation: { id: 9, rule: "daily_loss", floor: 95_000 },
      },
    });
  });

  it("makes live_entered and live_exited from applied monitoring moves, with usage and reason", () => {
    const entered = change({
      monitoringState: "live",
      audit: [
        {
          field: "monitoring_state",
          from: "polling",
          to: "live",
          reason: "usage 97.50% >= 97%",
          source: "poll",
          at: 0,
        },
      ],
    });
    const exited = change({ accountId: 2, monitoringState: "polling" });
    const alerts = accountEventAlerts(
      [entered, exited],
      [],
      [],
      new Map([
        [1, ref],
        [2, { ...ref, id: 2 }],
      ]),
    );
    expect(alerts.map((a) => a.type)).toEqual(["account.live_entered", "account.live_exited"]);
    expect(alerts[0]!.data).toMatchObject({ usage, reason: "usage 97.50% >= 97%" });
  });

  it("makes one account.warning per level newly reached, with the rule's floor", () => {
    const warned = change({
      metrics: {
        usage,
        equity: 96_000,
        daily_floor: 95_000,
        max_floor: 90_000,
      } as AccountChange["metrics"],
      warnings: [
        { rule: "daily_loss", period: "2026-11-29", level: 80, usage: 80, at: 0, source: "event" },
        { rule: "max_loss", period: "lifetime", level: 50, usage: 50, at: 0, source: "event" },
      ],
    });
    const alerts = accountEventAlerts([warned], [], [], new Map([[1, ref]]));
    expect(alerts).toMatchObject([
      {
        type: "account.warning",
        data: { rule: "daily_loss", level: 80, floor: 95_000, equity: 96_000 },
      },
      { type: "account.warning", data: { rule: "max_loss", level: 50, floor: 90_000 } },
    ]);
  });

  it("makes account.objectives_met once, with the change that met them, and only if it landed", () => {
    const met = change({ objectivesMetAt: 1_000 });
    expect(accountEventAlerts([met], [], [], new Map([[1, ref]])).map((a) => a.type)).toEqual([
      "account.objectives_met",
    ]);
    // The change did not land (no ref for it): no alert.
    expect(accountEventAlerts([met], [], [], new Map())).toEqual([]);
  });

  it("makes nothing for a figures-only change of an account without a problem", () => {
    expect(accountEventAlerts([change()], [], [], new Map([[1, ref]]))).toEqual([]);
  });

  it("reports a problem when it appears and when it clears, not when it stays", () => {
    expect(problemAlerts(ref, "stale")).toMatchObject([
      { data: { problem: "stale", detail: { change: "appeared" } } },
    ]);
    expect(problemAlerts({ ...ref, prev_problem: "stale" }, "stale")).toEqual([]);
    expect(problemAlerts({ ...ref, prev_problem: "stale" }, null)).toMatchObject([
      { data: { problem: null, detail: { change: "cleared", problem: "stale" } } },
    ]);
    // A successful reading clears the problem the account had.
    expect(
      accountEventAlerts(
        [change()],
        [],
        [],
        new Map([[1, { ...ref, prev_problem: "mtapi_unreachable" }]]),
      ),
    ).toMatchObject([
      {
        type: "account.problem",
        data: { detail: { change: "cleared", problem: "mtapi_unreachable" } },
      },
    ]);
  });
});
