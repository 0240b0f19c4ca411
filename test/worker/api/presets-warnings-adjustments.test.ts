/**
 * Risk rules version 2 through the admin API and the poller: presets, validation of the new
 * parameters, warnings and objectives on the account, balance adjustments.
 */
import { describe, expect, it } from "vitest";
import { PRESETS, PRESET_NAMES } from "../../../src/risk/index.ts";
import { eventually, getAccount, sim } from "../helpers.ts";
import { addToSim, api, createViaApi, expectError } from "./helpers.ts";
import { auditOf } from "../fixtures.ts";

/** Polls one account now, as the cron would; again when MTAPI failed it (a loaded machine). */
async function poll(id: number) {
  for (let attempt = 1; ; attempt++) {
    const res = await api("POST", "/v1/poll", { json: { account_ids: [id] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.errors === 0 || attempt === 5) {
      expect(res.body, "the poll read the account").toMatchObject({ polled: 1, errors: 0 });
      return res.body;
    }
  }
}

async function setFigures(sessionId: string, figures: { balance?: number; equity?: number }) {
  await sim(`/accounts/${sessionId}`, figures, "PATCH");
}

describe("GET /v1/presets", () => {
  it("lists every preset, version 2 included, with its full parameters", async () => {
    const res = await api("GET", "/v1/presets");
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { name: string }) => p.name)).toEqual([...PRESET_NAMES]);
    for (const item of res.body.items) {
      expect(item.rules).toEqual(PRESETS[item.name as keyof typeof PRESETS]);
      expect(item.description).toEqual(expect.any(String));
    }
    const hyro = res.body.items.find((p: { name: string }) => p.name === "hyrotrader-style");
    expect(hyro.rules).toMatchObject({
      breach_at: "at_or_below",
      daily_loss: { mode: "trailing_intraday_high" },
    });
  });

  it("needs the bearer token", async () => {
    expect((await api("GET", "/v1/presets", { token: null })).status).toBe(401);
  });

  it("is in the OpenAPI document", async () => {
    const doc = await api("GET", "/openapi.json", { token: null });
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/v1/presets", "/v1/accounts/{id}/adjustments"]),
    );
  });
});

describe("version 2 rules on POST /v1/accounts", () => {
  it("answers 422 naming max_loss.trail for percent_of_peak on a static max rule", async () => {
    const res = await api("POST", "/v1/accounts", {
      json: {
        login: "9990001",
        server: "V2-Invalid",
        session_id: crypto.randomUUID(),
        rules: {
          preset: "ftmo-2step",
          initial_balance: 100_000,
          max_loss: { trail: "percent_of_peak" },
        },
      },
    });
    expect(res.status).toBe(422);
    expectError(res.body, "validation_failed");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      "rules.max_loss.trail",
    ]);
  });

  it("answers 422 naming warn_at_pct for levels out of order", async () => {
    const res = await api("POST", "/v1/accounts", {
      json: {
        login: "9990002",
        server: "V2-Invalid",
        session_id: crypto.randomUUID(),
        rules: { preset: "ftmo-2step", initial_balance: 100_000, warn_at_pct: [80, 50] },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { path: "rules.warn_at_pct", message: "levels must be strictly ascending" },
    ]);
  });

  it("shows the trailing intraday floor of hyrotrader-style after polls", async () => {
    const created = await createViaApi({
      rules: { preset: "hyrotrader-style", initial_balance: 100_000 },
    });
    await addToSim(created, { balance: 100_000, equity: 100_000 });
    await poll(created.account.id);
    expect((await getAccount(created.account.id)).metrics!.daily_floor).toBe(95_000);
    await setFigures(created.sessionId, { equity: 104_000 });
    await poll(created.account.id);
    const row = await getAccount(created.account.id);
    expect(row.metrics!.daily_floor).toBe(99_000);
    expect(row.riskState!.day_high).toBe(104_000);
  });

  it("shows the closed-balance trailing floor of balance-trailing-style after a poll", async () => {
    const created = await createViaApi({
      rules: { preset: "balance-trailing-style", initial_balance: 100_000 },
    });
    await addToSim(created, { balance: 103_000, equity: 101_000 });
    await poll(created.account.id);
    const row = await getAccount(created.account.id);
    expect(row.metrics!.max_floor).toBe(97_000); // 103,000 - 6% of 100,000
    expect(row.riskState!.hwm).toBe(103_000);
  });
});

describe("warnings and objectives on the account", () => {
  it("shows the warning levels reached this period in metrics.warnings", async () => {
    const created = await createViaApi({
      rules: { preset: "ftmo-2step", initial_balance: 100_000, warn_at_pct: [50, 80] },
    });
    await addToSim(created, { balance: 100_000, equity: 97_400 });
    await poll(created.account.id);
    const res = await api("GET", `/v1/accounts/${created.account.id}`);
    expect(res.body.metrics.usage.daily).toBeCloseTo(52, 6);
    expect(res.body.metrics.warnings).toEqual({ daily_loss: [50], max_loss: [] });
    expect(res.body.objectives_met_at).toBeUndefined();
  });

  it("records objectives_met_at once, with metrics.objectives and an audit row", async () => {
    const created = await createViaApi({
      rules: {
        preset: "ftmo-2step",
        initial_balance: 100_000,
        objectives: { profit_target: { limit: 1, unit: "percent" } },
      },
    });
    const before = await api("GET", `/v1/accounts/${created.account.id}`);
    expect(before.body.objectives_met_at).toBeNull();
    await addToSim(created, { balance: 100_000 });
    await poll(created.account.id);
    await setFigures(created.sessionId, { balance: 101_500, equity: 101_500 });
    await poll(created.account.id);
    const met = await api("GET", `/v1/accounts/${created.account.id}`);
    expect(met.body.objectives_met_at).toEqual(expect.stringMatching(/Z$/));
    expect(met.body.metrics.objectives).toMatchObject({
      profit_target: { target: 1_000, profit: 1_500, on: "balance", reached: true },
      met: true,
      met_at: met.body.objectives_met_at,
    });
    await setFigures(created.sessionId, { balance: 102_000, equity: 102_000 });
    await poll(created.account.id);
    const later = await api("GET", `/v1/accounts/${created.account.id}`);
    expect(later.body.objectives_met_at).toBe(met.body.objectives_met_at);
    const audit = (await auditOf(created.account.id)).filter((a) => a.field === "objectives");
    expect(audit.map((a) => [a.toValue, a.source])).toEqual([["met", "poll"]]);
  });
});

describe("balance adjustments", () => {
  it("E12 through the API: a deposit shifts the floors on the next poll, usage unchanged, audited", async () => {
    // An 8% daily allowance keeps the account polled (daily usage 62.5%) through the test.
    const created = await createViaApi({
      rules: { preset: "ftmo-2step", initial_balance: 100_000, daily_loss: { limit: 8 } },
    });
    const id = created.account.id;
    await addToSim(created, { balance: 100_000, equity: 95_000 });
    await poll(id);
    const first = await getAccount(id);
    expect(first.metrics!.usage.max).toBeCloseTo(50, 6);
    expect(first.metrics!.usage.daily).toBeCloseTo(62.5, 6);

    // The broker credits the deposit, then the operator records it.
    await setFigures(created.sessionId, { balance: 110_000, equity: 105_000 });
    const posted = await api("POST", `/v1/accounts/${id}/adjustments`, {
      json: { amount: 10_000, note: "top-up" },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(posted.body).toMatchObject({ account_id: id, amount: 10_000, note: "top-up" });
    await poll(id);
    const after = await getAccount(id);
    expect(after.metrics!.max_floor).toBe(100_000);
    expect(after.metrics!.usage.max).toBeCloseTo(50, 6);
    expect(after.metrics!.usage.daily).toBeCloseTo(62.5, 6);
    expect(after.riskState!.adjustment).toBe(10_000);
    expect(after.riskState!.adjustment_id).toBe(posted.body.id);

    // Applied once: another poll does not move the floor again.
    await poll(id);
    expect((await getAccount(id)).metrics!.max_floor).toBe(100_000);

    const listed = await api("GET", `/v1/accounts/${id}/adjustments`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([posted.body]);
    const audit = (await auditOf(id)).filter((a) => a.field === "adjustment");
    expect(audit.map((a) => [a.toValue, a.source, a.reason])).toEqual([
      ["10000", "api", `adjustment ${posted.body.id}: top-up`],
    ]);
  });

  it("moves a live account's floors at once: a withdrawal is not judged a loss by the next event", async () => {
    const created = await createViaApi({
      rules: { preset: "ftmo-2step", initial_balance: 100_000 },
    });
    const id = created.account.id;
    // 97% of the 5,000 daily allowance: the poll hands it to the live monitor.
    await addToSim(created, { balance: 100_000, equity: 95_150 });
    expect(await poll(id)).toMatchObject({ entered_live: 1 });
    await sim("/wait", { until: { subscribed: [created.sessionId] }, timeout_ms: 15_000 });

    const posted = await api("POST", `/v1/accounts/${id}/adjustments`, {
      json: { amount: -10_000, note: "payout" },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    // The broker pays it out; the next event carries the lower balance and equity. Unadjusted,
    // the daily floor would be 95,000 and this a breach; adjusted it is 85,000 (usage 97%).
    await setFigures(created.sessionId, { balance: 90_000, equity: 85_150 });
    const row = await eventually(
      async () => {
        const r = await getAccount(id);
        return r.metrics?.equity === 85_150 && r.metrics.source === "event" ? r : null;
      },
      15_000,
      "the live event's figures",
    );
    expect(row.metrics).toMatchObject({ day_start: 90_000, daily_floor: 85_000 });
    expect(row.status).toBe("active");
    expect((await api("GET", `/v1/accounts/${id}/violations`)).body.items).toEqual([]);
  });

  it("counts a deposit made before the first reading in the initial balance only", async () => {
    const created = await createViaApi({
      rules: { preset: "ftmo-2step", initial_balance: 100_000 },
    });
    const id = created.account.id;
    expect(
      (await api("POST", `/v1/accounts/${id}/adjustments`, { json: { amount: 5_000 } })).status,
    ).toBe(201);
    await addToSim(created, { balance: 105_000 });
    await poll(id);
    const row = await getAccount(id);
    expect(row.metrics!.day_start).toBe(105_000);
    expect(row.metrics!.max_floor).toBe(95_000);
    expect(row.metrics!.usage.max).toBe(0);
  });

  it("answers 400 naming amount for a zero amount, and 404 for an unknown account", async () => {
    const created = await createViaApi();
    const zero = await api("POST", `/v1/accounts/${created.account.id}/adjustments`, {
      json: { amount: 0 },
    });
    expect(zero.status).toBe(400);
    expect(zero.body.error.details).toEqual([{ path: "amount", message: "must not be zero" }]);
    const missing = await api("POST", "/v1/accounts/2147483000/adjustments", {
      json: { amount: 10 },
    });
    expect(missing.status).toBe(404);
    expect((await api("GET", "/v1/accounts/2147483000/adjustments")).status).toBe(404);
  });
});
