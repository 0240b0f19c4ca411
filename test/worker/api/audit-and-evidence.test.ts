import { describe, expect, it } from "vitest";
import { eventually, sim } from "../helpers.ts";
import { api, createKey, createViaApi, subscribedIds } from "./helpers.ts";
import { simAccount } from "../fixtures.ts";

const poll = (ids: number[]) => api("POST", "/v1/poll", { json: { account_ids: ids } });

describe("GET /v1/audit", () => {
  it("shows an operator's reset with the key's name and reason, and the poller's breach before it", async () => {
    const operator = await createKey("operator");
    const { account } = await simAccount(104_000, 98_000);
    expect((await poll([account.id])).body).toMatchObject({ violations: 1 });
    const reset = await api("POST", `/v1/accounts/${account.id}/reset`, {
      token: operator.key,
      json: { reason: "trader dispute #812: MTAPI glitch" },
    });
    expect(reset.status).toBe(200);

    const res = await api("GET", `/v1/audit?account_id=${account.id}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { action: string }) => i.action)).toEqual([
      "account.reset",
      "account.breached",
      "account.created",
    ]);
    const [resetRow, breachRow, createdRow] = res.body.items;
    expect(resetRow).toMatchObject({
      actor: operator.name,
      account_id: account.id,
      reason: "trader dispute #812: MTAPI glitch",
      before: { status: "breached", monitoring_state: "polling" },
      after: { status: "active", monitoring_state: "polling" },
      at: expect.stringMatching(/Z$/),
    });
    expect(breachRow).toMatchObject({
      actor: "poller",
      reason: expect.stringMatching(/^breach daily_loss /),
      before: { status: "active" },
      after: { status: "breached" },
    });
    expect(createdRow).toMatchObject({ actor: "admin-token", after: { login: account.login } });

    const byActor = await api("GET", `/v1/audit?actor=${encodeURIComponent(operator.name)}`);
    expect(byActor.body.items.map((i: { id: number }) => i.id)).toEqual([resetRow.id]);
    const byAction = await api("GET", `/v1/audit?account_id=${account.id}&action=account.breached`);
    expect(byAction.body.items).toHaveLength(1);
    const future = await api("GET", `/v1/audit?since=2999-01-01`);
    expect(future.body).toEqual({ items: [], next_cursor: null });
  });

  it("pages newest first with a cursor that only this list accepts", async () => {
    const { account } = await createViaApi();
    for (const label of ["a", "b", "c"]) {
      const res = await api("PATCH", `/v1/accounts/${account.id}`, {
        json: { label, reason: `to ${label}` },
      });
      expect(res.status).toBe(200);
    }
    const first = await api("GET", `/v1/audit?account_id=${account.id}&limit=2`);
    expect(first.body.items.map((i: { reason: string }) => i.reason)).toEqual(["to c", "to b"]);
    expect(first.body.items[0]).toMatchObject({
      action: "account.updated",
      before: { label: "b" },
      after: { label: "c" },
    });
    const next = await api(
      "GET",
      `/v1/audit?account_id=${account.id}&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(next.body.items.map((i: { reason: string | null }) => i.reason)).toEqual(["to a", null]);
    expect(next.body.next_cursor).toBeNull();
    expect((await api("GET", `/v1/violations?cursor=${first.body.next_cursor}`)).status).toBe(400);
  });

  it("records key creation and revocation without an account and without the secret", async () => {
    const key = await createKey("viewer");
    expect((await api("DELETE", `/v1/keys/${key.id}?reason=rotated`)).status).toBe(204);
    const res = await api("GET", "/v1/audit?actor=admin-token&limit=20");
    const mine = res.body.items.filter(
      (i: { before: { id?: number } | null; after: { id?: number } | null }) =>
        i.after?.id === key.id || i.before?.id === key.id,
    );
    expect(
      mine.map((i: { action: string; reason: string | null; account_id: number | null }) => [
        i.action,
        i.reason,
        i.account_id,
      ]),
    ).toEqual([
      ["key.revoked", "rotated", null],
      ["key.created", null, null],
    ]);
    expect(JSON.stringify(res.body)).not.toContain(key.key);
  });
});

describe("system decisions in the audit", () => {
  it("records the poller's live entry and the monitor's breach, each with the system's reason", async () => {
    const { account, sessionId } = await simAccount(104_000, 99_150);
    expect((await poll([account.id])).body).toMatchObject({ entered_live: 1 });
    await eventually(
      async () => (await subscribedIds()).includes(account.id),
      10_000,
      "subscription",
    );
    await sim("/wait", { until: { subscribed: [sessionId] }, timeout_ms: 15_000 });
    // Below the daily floor: the live event breaches it.
    await sim(`/accounts/${sessionId}`, { equity: 98_000 }, "PATCH");
    const v = await eventually(
      async () => (await api("GET", `/v1/accounts/${account.id}/violations`)).body.items[0],
      15_000,
      "the live breach",
    );
    expect(v).toMatchObject({ source: "event", rules_version: 1 });
    const audit = await eventually(
      async () => {
        const res = await api("GET", `/v1/audit?account_id=${account.id}`);
        return res.body.items.length >= 4 ? res.body.items : null;
      },
      10_000,
      "the audit rows",
    );
    const byAction = Object.fromEntries(audit.map((i: { action: string }) => [i.action, i]));
    expect(byAction["account.live_entered"]).toMatchObject({
      actor: "poller",
      reason: expect.stringMatching(/^usage [\d.]+% >= 97%$/),
      before: { monitoring_state: "polling" },
      after: { monitoring_state: "live" },
    });
    expect(byAction["account.breached"]).toMatchObject({ actor: "monitor" });
    expect(byAction["account.live_exited"]).toMatchObject({ actor: "monitor", reason: "breached" });

    // The live path keeps evidence too: figures, readings, the rules version in force.
    const detail = await api("GET", `/v1/violations/${v.id}`);
    expect(detail.body.evidence).toMatchObject({
      rules_version: 1,
      rules: account.rules,
      figures: { equity: 98_000, at: detail.body.detected_at },
    });
    expect(detail.body.evidence.readings_before[0]).toMatchObject({
      equity: 99_150,
      source: "poll",
    });
    // The Events message that caused it, its session id masked.
    expect(detail.body.evidence.cause).toMatchObject({
      kind: "event",
      event: { kind: "event", equity: 98_000 },
    });
    expect(JSON.stringify(detail.body.evidence.cause)).not.toContain(sessionId);
  });
});

describe("rules versions", () => {
  it("writes a version per rules change, lists them, and judges a breach by the version in force", async () => {
    const { account, sessionId } = await simAccount(100_000);
    const patched = await api("PATCH", `/v1/accounts/${account.id}`, {
      json: {
        rules: { preset: "ftmo-1step", initial_balance: 100_000 },
        reason: "moved to 1-step",
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.rules_version).toBe(2);
    const versions = await api("GET", `/v1/accounts/${account.id}/rules`);
    expect(versions.status).toBe(200);
    expect(versions.body.items).toEqual([
      {
        version: 1,
        rules: account.rules,
        effective_from: account.created_at,
        actor: "admin-token",
        reason: null,
      },
      {
        version: 2,
        rules: patched.body.rules,
        effective_from: expect.stringMatching(/Z$/),
        actor: "admin-token",
        reason: "moved to 1-step",
      },
    ]);

    // A first reading, then a breach: the evidence shows both and the version in force.
    expect((await poll([account.id])).body).toMatchObject({ polled: 1, violations: 0 });
    await sim(`/accounts/${sessionId}`, { equity: 80_000 }, "PATCH");
    expect((await poll([account.id])).body).toMatchObject({ violations: expect.any(Number) });
    const list = await api("GET", `/v1/accounts/${account.id}/violations`);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(list.body.items.every((v: { rules_version: number }) => v.rules_version === 2)).toBe(
      true,
    );

    const detail = await api("GET", `/v1/violations/${list.body.items[0].id}`);
    expect(detail.status).toBe(200);
    const ev = detail.body.evidence;
    expect(ev).toMatchObject({
      rules_version: 2,
      rules: patched.body.rules,
      figures: { balance: 100_000, equity: 80_000, at: detail.body.detected_at },
      readings_before: [{ balance: 100_000, equity: 100_000, source: "poll" }],
      cause: {
        kind: "rest",
        request: `GET /AccountSummary?id=${sessionId.slice(0, 4)}...`,
        answer: { balance: 100_000, equity: 80_000 },
      },
    });
    expect(ev.figures.usage.overall).toBeGreaterThanOrEqual(100);
    expect(ev.figures.max_floor).toBeGreaterThan(80_000);
    expect(JSON.stringify(detail.body)).not.toContain(sessionId);
  });

  it("answers 404 for an unknown violation and account", async () => {
    expect((await api("GET", "/v1/violations/2147483647")).status).toBe(404);
    expect((await api("GET", "/v1/accounts/2147483647/rules")).status).toBe(404);
  });
});
