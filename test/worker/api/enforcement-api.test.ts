import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sim } from "../helpers.ts";
import { addToSim, api, createViaApi, expectError } from "./helpers.ts";

const ON = { ...env, ENFORCEMENT: "on" } as Env;

async function viewerToken(): Promise<string> {
  const created = await api("POST", "/v1/keys", {
    json: { name: `v-${crypto.randomUUID().slice(0, 6)}`, role: "viewer", reason: "test" },
  });
  return created.body.key as string;
}

describe("the enforcement API", () => {
  it("a breach polled through the API is acted on and shown with its evidence", async () => {
    const created = await createViaApi({
      rules: {
        preset: "ftmo-2step",
        initial_balance: 100_000,
        consequences: { default: "close_all" },
      },
    });
    const id = created.account.id as number;
    const set = await api("PATCH", `/v1/accounts/${id}/enforcement`, {
      json: { enforcement: "on", reason: "desk policy" },
      env: ON,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ enforcement: "on", effective: "on", actions: [] });
    await addToSim(created, { balance: 100_000, equity: 89_000 });
    await sim(
      `/orders/${created.sessionId}`,
      {
        opened: [
          {
            ticket: 77,
            symbol: "EURUSD",
            orderType: "Sell",
            lots: 1,
            openPrice: 1.2,
            profit: -11_000,
          },
        ],
      },
      "PUT",
    );
    // A trading (master) session: AccountSummary says isInvestor: false.
    await sim(`/close/${created.sessionId}`, { investor: false }, "PUT");
    const polled = await api("POST", "/v1/poll", { json: { account_ids: [id] }, env: ON });
    expect(polled.status).toBe(200);
    const got = await api("GET", `/v1/accounts/${id}/enforcement`, { env: ON });
    expect(got.status).toBe(200);
    expect(got.body.locked_at).toBeNull();
    expect(got.body.actions).toHaveLength(1);
    expect(got.body.actions[0]).toMatchObject({
      kind: "close_all",
      state: "done",
      dry_run: false,
      equity_after: 89_000,
      // The daily floor (95,000) is crossed first; the default consequence acts on it.
      rule: "daily_loss",
      floor: 95_000,
      slippage: 6_000,
      steps: [
        { ticket: 77, action: "close", state: "done", close_price: 1.2, profit: -11_000, sends: 1 },
      ],
    });
    expect(got.body.actions[0].positions_before).toEqual([expect.objectContaining({ ticket: 77 })]);
    const audit = await api("GET", `/v1/audit?account_id=${id}`);
    expect(JSON.stringify(audit.body)).toContain("account.enforcement_set");
  });

  it("refuses a misspelt mode and a missing account", async () => {
    const created = await createViaApi();
    const bad = await api("PATCH", `/v1/accounts/${created.account.id}/enforcement`, {
      json: { enforcement: "yes" },
    });
    expect(bad.status).toBe(400);
    const missing = await api("PATCH", "/v1/accounts/999999/enforcement", {
      json: { enforcement: "on" },
    });
    expect(missing.status).toBe(404);
    expectError(missing.body, "not_found");
  });

  it("halt holds the deployment at dry_run until resumed; admin only, with a reason, audited", async () => {
    const viewer = await viewerToken();
    const denied = await api("POST", "/v1/enforcement/halt", {
      json: { reason: "x" },
      token: viewer,
    });
    expect(denied.status).toBe(403);
    expect((await api("POST", "/v1/enforcement/halt", { json: {} })).status).toBe(400);
    const halted = await api("POST", "/v1/enforcement/halt", {
      json: { reason: "bad feed" },
      env: ON,
    });
    expect(halted.status).toBe(200);
    expect(halted.body).toMatchObject({
      deployment: "on",
      halted: true,
      effective: "dry_run",
      reason: "bad feed",
    });
    const state = await api("GET", "/v1/enforcement", { token: viewer, env: ON });
    expect(state.body).toMatchObject({ halted: true, effective: "dry_run" });
    const resumed = await api("POST", "/v1/enforcement/resume", {
      json: { reason: "feed fixed" },
      env: ON,
    });
    expect(resumed.body).toMatchObject({ halted: false, effective: "on" });
    const audit = await api("GET", "/v1/audit?action=enforcement.halted");
    expect(JSON.stringify(audit.body)).toContain("bad feed");
  });
});
