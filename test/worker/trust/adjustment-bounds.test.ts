/**
 * Finding 2 of "Trust" (docs/security.md): one adjustment of -1e12 by an operator dropped both
 * floors out of reach and switched breach detection off for good. Adjustments are bounded
 * (422 outside) and every one raises `account.adjusted`.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountAudit, webhookMessages } from "../../../src/db/schema.ts";
import { getAccount, withTestDb } from "../helpers.ts";
import { addToSim, api, createKey, createViaApi, expectError } from "../api/helpers.ts";

async function poll(id: number) {
  for (let attempt = 1; ; attempt++) {
    const res = await api("POST", "/v1/poll", { json: { account_ids: [id] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.errors === 0 || attempt === 5) {
      expect(res.body).toMatchObject({ polled: 1, errors: 0 });
      return res.body;
    }
  }
}

async function adjustedAlerts(accountId: number) {
  return withTestDb((db) =>
    db
      .select()
      .from(webhookMessages)
      .where(
        and(
          eq(webhookMessages.type, "account.adjusted"),
          sql`(${webhookMessages.payload}->'data'->'account'->>'id')::int = ${accountId}`,
        ),
      )
      .orderBy(asc(webhookMessages.createdAt)),
  );
}

/** An account polled once at balance 100,000 and equity 99,000. */
async function polledAccount() {
  const created = await createViaApi({
    rules: { preset: "ftmo-2step", initial_balance: 100_000 },
  });
  await addToSim(created, { balance: 100_000, equity: 99_000 });
  await poll(created.account.id);
  return created;
}

describe("balance adjustments are bounded", () => {
  it("refuses an operator's withdrawal beyond the balance: the floors stay where they were", async () => {
    const created = await polledAccount();
    const id = created.account.id;
    const before = await getAccount(id);
    const operator = await createKey("operator");
    const res = await api("POST", `/v1/accounts/${id}/adjustments`, {
      token: operator.key,
      json: { amount: -1e12, note: "switch it off" },
    });
    expect(res.status).toBe(422);
    expectError(res.body, "validation_failed");
    expect(res.body.error.details[0].path).toBe("amount");
    expect(res.body.error.message).toMatch(/last known balance/);
    await poll(id);
    const after = await getAccount(id);
    expect(after.metrics!.max_floor).toBe(before.metrics!.max_floor);
    expect(after.metrics!.daily_floor).toBe(before.metrics!.daily_floor);
    expect((await api("GET", `/v1/accounts/${id}/adjustments`)).body.items).toEqual([]);
    expect(await adjustedAlerts(id)).toEqual([]);
  });

  it("refuses even an admin's withdrawal beyond the balance, counting adjustments still pending", async () => {
    const created = await polledAccount();
    const id = created.account.id;
    const first = await api("POST", `/v1/accounts/${id}/adjustments`, {
      json: { amount: -60_000 },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    // Not applied yet (no poll since): 40,000 remain to withdraw.
    const second = await api("POST", `/v1/accounts/${id}/adjustments`, {
      json: { amount: -40_001 },
    });
    expect(second.status).toBe(422);
    const exact = await api("POST", `/v1/accounts/${id}/adjustments`, {
      json: { amount: -40_000 },
    });
    expect(exact.status, JSON.stringify(exact.body)).toBe(201);
  });

  it("lets an operator deposit up to initial_balance; more needs an admin", async () => {
    const created = await polledAccount();
    const id = created.account.id;
    const operator = await createKey("operator");
    const big = await api("POST", `/v1/accounts/${id}/adjustments`, {
      token: operator.key,
      json: { amount: 100_001 },
    });
    expect(big.status).toBe(422);
    expect(big.body.error.message).toMatch(/needs an admin/);
    const ok = await api("POST", `/v1/accounts/${id}/adjustments`, {
      token: operator.key,
      json: { amount: 100_000 },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const admin = await api("POST", `/v1/accounts/${id}/adjustments`, {
      json: { amount: 250_000 },
    });
    expect(admin.status, JSON.stringify(admin.body)).toBe(201);
  });

  it("raises account.adjusted for every adjustment, with amount, note and actor, and audits the actor", async () => {
    const created = await polledAccount();
    const id = created.account.id;
    const operator = await createKey("operator");
    const res = await api("POST", `/v1/accounts/${id}/adjustments`, {
      token: operator.key,
      json: { amount: -5_000, note: "payout" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const alerts = await adjustedAlerts(id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.payload).toMatchObject({
      type: "account.adjusted",
      data: {
        account: { id, login: created.account.login },
        adjustment: { id: res.body.id, amount: -5_000, note: "payout", actor: operator.name },
      },
    });
    const audit = await withTestDb((db) =>
      db
        .select()
        .from(accountAudit)
        .where(and(eq(accountAudit.accountId, id), eq(accountAudit.field, "adjustment"))),
    );
    expect(audit.map((a) => [a.action, a.actor])).toEqual([["account.adjusted", operator.name]]);
  });
});
