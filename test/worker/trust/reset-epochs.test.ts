/**
 * Finding 6 of "Trust" (docs/security.md, "Reset epochs"): a second breach after a reset, in
 * the same period, flipped the account to breached with no violation, evidence or alert.
 */
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookMessages } from "../../../src/db/schema.ts";
import { getAccount, sim, violationsOf, withTestDb } from "../helpers.ts";
import { addToSim, api, createViaApi } from "../api/helpers.ts";

async function poll(id: number) {
  for (let attempt = 1; ; attempt++) {
    const res = await api("POST", "/v1/poll", { json: { account_ids: [id] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.errors === 0 || attempt === 5) return res.body;
  }
}

async function violationAlerts(accountId: number) {
  return withTestDb((db) =>
    db
      .select()
      .from(webhookMessages)
      .where(
        and(
          eq(webhookMessages.type, "violation.recorded"),
          sql`(${webhookMessages.payload}->'data'->'account'->>'id')::int = ${accountId}`,
        ),
      ),
  );
}

describe("reset epochs", () => {
  it("records a breach after a reset, in the same period, as a violation of its own with evidence and alert", async () => {
    const created = await createViaApi({
      rules: { preset: "ftmo-2step", initial_balance: 100_000 },
    });
    const id = created.account.id;
    await addToSim(created, { balance: 100_000, equity: 99_000 });
    await poll(id);
    // Below the daily floor (95,000): the first breach.
    await sim(`/accounts/${created.sessionId}`, { equity: 94_000 }, "PATCH");
    await poll(id);
    expect((await getAccount(id)).status).toBe("breached");
    const first = await violationsOf([id]);
    expect(first).toHaveLength(1);

    // The desk resets it; the equity recovers, then falls through the floor again the same day.
    await sim(`/accounts/${created.sessionId}`, { equity: 99_000 }, "PATCH");
    expect((await api("POST", `/v1/accounts/${id}/reset`)).status).toBe(200);
    await poll(id);
    expect((await getAccount(id)).status).toBe("active");
    await sim(`/accounts/${created.sessionId}`, { equity: 93_000 }, "PATCH");
    await poll(id);

    expect((await getAccount(id)).status).toBe("breached");
    const listed = await api("GET", `/v1/accounts/${id}/violations`);
    expect(listed.status).toBe(200);
    const items = listed.body.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(2);
    expect(items.map((v) => [v.rule, v.period, v.reset_epoch]).sort()).toEqual([
      ["daily_loss", first[0]!.period, 0],
      ["daily_loss", first[0]!.period, 1],
    ]);
    const second = items.find((v) => v.reset_epoch === 1)!;
    expect(second.equity).toBe(93_000);
    const detail = await api("GET", `/v1/violations/${second.id}`);
    expect(detail.body.evidence).not.toBeNull();
    expect(await violationAlerts(id)).toHaveLength(2);
  });
});
