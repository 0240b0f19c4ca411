/**
 * Severity of the loss rules through the poll path and the API (docs/rules.md, "Severity of
 * the loss rules"): soft daily_loss and max_loss breaches are recorded once each, severity soft, the account
 * stays active and is polled on, no enforcement starts even with it on; the default (hard)
 * still fails the account.
 */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Db } from "../../../src/db/client.ts";
import { accounts, enforcementActions } from "../../../src/db/schema.ts";
import { pollAccounts } from "../../../src/poll/poll-accounts.ts";
import { selectPollable } from "../../../src/poll/pollable.ts";
import { createTestAccount, sim, withTestDb } from "../helpers.ts";
import { api } from "../api/helpers.ts";

async function account(severity: Record<string, unknown>) {
  const a = await createTestAccount({
    initial_balance: 100_000,
    balance: 100_000,
    equity: 100_000,
  });
  await withTestDb((db) =>
    db
      .update(accounts)
      .set({
        enforcement: "on",
        rules: sql`${accounts.rules} || ${JSON.stringify({
          consequences: { max_loss: "close_all" },
        })}::jsonb || jsonb_build_object(
          'max_loss', (${accounts.rules}->'max_loss') || ${JSON.stringify(severity)}::jsonb,
          'daily_loss', (${accounts.rules}->'daily_loss') || ${JSON.stringify(severity)}::jsonb)`,
      })
      .where(eq(accounts.id, a.id)),
  );
  await sim(
    `/orders/${a.sessionId}`,
    { opened: [{ ticket: 6001, symbol: "EURUSD", orderType: "Buy", lots: 1, openPrice: 1.1 }] },
    "PUT",
  );
  // Equity crosses the daily floor (95,000) and the max floor (90,000).
  await sim(`/accounts/${a.sessionId}`, { equity: 89_000 }, "PATCH");
  return a;
}

async function poll(db: Db, id: number) {
  const rows = await selectPollable(db, { ids: [id] }, 1);
  return pollAccounts(db, rows, { mtapiUrl: env.MTAPI_URL, enforcement: "on" });
}

describe("severity of the loss rules", () => {
  it("soft: recorded once, severity soft; the account stays active; no enforcement", async () => {
    const a = await account({ severity: "soft" });
    await withTestDb((db) => poll(db, a.id));
    const got = await api("GET", `/v1/accounts/${a.id}`);
    expect(got.body.status).toBe("active");
    expect(got.body.rules.max_loss.severity).toBe("soft");
    const listed = await api("GET", `/v1/accounts/${a.id}/violations`);
    expect(
      listed.body.items.map((v: { rule: string; severity: string }) => [v.rule, v.severity]).sort(),
    ).toEqual([
      ["daily_loss", "soft"],
      ["max_loss", "soft"],
    ]);
    // Polled again, lower still: nothing new; still active.
    await sim(`/accounts/${a.sessionId}`, { equity: 88_000 }, "PATCH");
    await withTestDb((db) => poll(db, a.id));
    expect((await api("GET", `/v1/accounts/${a.id}/violations`)).body.items).toHaveLength(2);
    expect((await api("GET", `/v1/accounts/${a.id}`)).body.status).toBe("active");
    const actions = await withTestDb((db) =>
      db.select().from(enforcementActions).where(eq(enforcementActions.accountId, a.id)),
    );
    expect(actions).toEqual([]);
    const soft = await api("GET", `/v1/violations?account_id=${a.id}&severity=soft`);
    expect(soft.body.items).toHaveLength(2);
    const breachedAudit = await api("GET", `/v1/audit?account_id=${a.id}&action=account.breached`);
    expect(breachedAudit.body.items).toEqual([]);
  });

  it("hard (the default): the breach fails the account and starts its enforcement", async () => {
    const a = await account({});
    await withTestDb((db) => poll(db, a.id));
    expect((await api("GET", `/v1/accounts/${a.id}`)).body.status).toBe("breached");
    const listed = await api("GET", `/v1/accounts/${a.id}/violations`);
    expect(listed.body.items.map((v: { severity: string }) => v.severity)).toEqual([
      "hard",
      "hard",
    ]);
    const actions = await withTestDb((db) =>
      db.select().from(enforcementActions).where(eq(enforcementActions.accountId, a.id)),
    );
    expect(actions).toHaveLength(1);
  });

  it("answers a severity that is neither with a clear error", async () => {
    const res = await api("POST", "/v1/accounts", {
      json: {
        login: "77001",
        server: "Sev-Test",
        session_id: crypto.randomUUID(),
        rules: { preset: "ftmo-2step", initial_balance: 100_000, daily_loss: { severity: "mild" } },
      },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain("daily_loss.severity");
  });
});
