/**
 * Deleting an account archives it (docs/api.md, "Deleting an account"; docs/security.md,
 * "Deleting keeps the record"): its violations, evidence, audit and enforcement actions stay,
 * its secrets are wiped, it leaves every list, export and sweep unless asked for, and the
 * same login and token can be created again.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { selectSweepOrder } from "../../../src/poll/pollable.ts";
import { getAccount, withTestDb } from "../helpers.ts";
import { addToSim, api, createKey, createViaApi, expectError } from "../api/helpers.ts";

/** The database's own message for a refused statement (drizzle wraps it as the cause). */
async function refusal(run: Promise<unknown>): Promise<string> {
  const err = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "the statement was refused").not.toBeNull();
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? String(err);
}

/** The ids of `GET path` (a JSON list or a CSV export, first column). */
async function idsOf(path: string, token?: string): Promise<number[]> {
  const res = await api("GET", path, token ? { token } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  if (typeof res.body === "string")
    return res.body
      .trim()
      .split("\r\n")
      .slice(1)
      .map((r: string) => Number(r.split(",")[0]));
  return res.body.items.map((a: { id: number }) => a.id);
}

describe("deleting an account", () => {
  it("keeps its violations, evidence and audit, readable by its id", async () => {
    const created = await createViaApi({ label: "to archive" });
    await addToSim(created, { balance: 100_000, equity: 94_000 });
    const polled = await api("POST", "/v1/poll", { json: { account_ids: [created.account.id] } });
    expect(polled.status, JSON.stringify(polled.body)).toBe(200);
    const before = await api("GET", `/v1/accounts/${created.account.id}/violations`);
    expect(before.body.items.length).toBeGreaterThan(0);
    const violationId = before.body.items[0].id as number;

    expect((await api("DELETE", `/v1/accounts/${created.account.id}?reason=closed`)).status).toBe(
      204,
    );

    const account = await api("GET", `/v1/accounts/${created.account.id}`);
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ status: "deleted", monitoring_state: "polling" });
    const violation = await api("GET", `/v1/violations/${violationId}`);
    expect(violation.status).toBe(200);
    expect(violation.body.evidence).not.toBeNull();
    const after = await api("GET", `/v1/accounts/${created.account.id}/violations`);
    expect(after.body.items.map((v: { id: number }) => v.id)).toContain(violationId);
    const audit = await api("GET", `/v1/audit?account_id=${created.account.id}&limit=50`);
    const actions = audit.body.items.map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["account.created", "account.deleted"]));
    expect(
      audit.body.items.find((a: { action: string }) => a.action === "account.deleted"),
    ).toMatchObject({ reason: "closed", actor: "admin-token" });
  });

  it("lets no table cascade an account's delete, and keeps the audit append-only", async () => {
    await withTestDb(async (db) => {
      // Every foreign key to accounts refuses the delete (none cascades, none sets null).
      const { rows } = await db.execute<{ tbl: string; rule: string }>(sql`
        select conrelid::regclass::text as tbl, confdeltype::text as rule
        from pg_constraint where contype = 'f' and confrelid = 'accounts'::regclass`);
      expect(rows.map((r) => r.tbl).sort()).toEqual(
        expect.arrayContaining(["account_audit", "enforcement_actions", "violations"]),
      );
      for (const r of rows) expect(r, r.tbl).toMatchObject({ rule: "r" });
    });
    const created = await createViaApi();
    const id = created.account.id as number;
    await withTestDb(async (db) => {
      expect(await refusal(db.execute(sql`delete from accounts where id = ${id}`))).toMatch(
        /foreign key/,
      );
      expect(
        await refusal(
          db.execute(sql`update account_audit set actor = 'someone' where account_id = ${id}`),
        ),
      ).toMatch(/append-only/);
      expect(
        await refusal(db.execute(sql`delete from account_audit where account_id = ${id}`)),
      ).toMatch(/append-only/);
    });
    expect((await getAccount(id)).status).toBe("active");
  });

  it("hides it from lists, exports and the sweep unless asked for by status=deleted", async () => {
    const tag = `arch${crypto.randomUUID().slice(0, 8)}`;
    const kept = await createViaApi({ label: `${tag} kept` });
    const gone = await createViaApi({ label: `${tag} gone` });
    expect((await api("DELETE", `/v1/accounts/${gone.account.id}`)).status).toBe(204);
    const viewer = await createKey("viewer");

    for (const path of [
      `/v1/accounts?q=${tag}`,
      `/v1/accounts?q=${tag}&sort=usage_desc`,
      `/v1/accounts.csv?q=${tag}`,
      `/v1/accounts.csv?q=${tag}&sort=usage_desc`,
    ])
      expect(await idsOf(path, viewer.key), path).toEqual([kept.account.id]);
    for (const path of [
      `/v1/accounts?q=${tag}&status=deleted`,
      `/v1/accounts.csv?q=${tag}&status=deleted`,
    ])
      expect(await idsOf(path, viewer.key), path).toEqual([gone.account.id]);

    const order = await withTestDb((db) => selectSweepOrder(db));
    expect(order).toContain(kept.account.id);
    expect(order).not.toContain(gone.account.id);
  });

  it("wipes its session token and stored credentials, and refuses to give it new ones", async () => {
    const created = await createViaApi();
    const id = created.account.id as number;
    const password = `pw&=${crypto.randomUUID()}`;
    const put = await api("PUT", `/v1/accounts/${id}/credentials`, {
      json: { password, kind: "investor" },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const sealed = (await getAccount(id)).credentialsSealed;
    expect(sealed).not.toBeNull();

    expect((await api("DELETE", `/v1/accounts/${id}`)).status).toBe(204);

    const row = await getAccount(id);
    expect(row).toMatchObject({
      status: "deleted",
      sessionId: `deleted-${id}`,
      sessionHash: null,
      sessionMask: null,
      credentialsSealed: null,
      credentialsKind: null,
      credentialsStatus: null,
    });
    // Nothing of the token or the sealed password is left anywhere in the row.
    const dump = await withTestDb(async (db) => {
      const { rows } = await db.execute(
        sql`select row_to_json(a)::text as j from accounts a where id = ${id}`,
      );
      return String((rows[0] as { j: string }).j);
    });
    expect(dump).not.toContain(created.sessionId);
    expect(dump).not.toContain(sealed!);
    const shown = await api("GET", `/v1/accounts/${id}`);
    expect(shown.body.credentials).toMatchObject({ status: "none" });

    for (const [method, path, json] of [
      ["PATCH", `/v1/accounts/${id}`, { session_id: crypto.randomUUID() }],
      ["PUT", `/v1/accounts/${id}/credentials`, { password: "again", kind: "investor" }],
      ["PUT", `/v1/accounts/${id}/session`, { session_id: crypto.randomUUID() }],
      ["POST", `/v1/accounts/${id}/adjustments`, { amount: 100, note: "x" }],
      ["POST", `/v1/accounts/${id}/shares`, { expires_in_days: 1 }],
      ["POST", `/v1/accounts/${id}/live`, undefined],
    ] as const) {
      const res = await api(method, path, json ? { json } : {});
      expect(res.status, `${method} ${path}`).toBe(409);
      expectError(res.body, "conflict");
    }
    expect((await getAccount(id)).sessionId).toBe(`deleted-${id}`);
  });

  it("lets the same login, server and token be created again, as a new account", async () => {
    const first = await createViaApi();
    expect((await api("DELETE", `/v1/accounts/${first.account.id}`)).status).toBe(204);
    const again = await api("POST", "/v1/accounts", { json: first.input });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.id).not.toBe(first.account.id);
    expect(again.body).toMatchObject({ login: first.input.login, status: "active" });
    // The archived one is still there, by its id; a second live duplicate is still a 409.
    expect((await api("GET", `/v1/accounts/${first.account.id}`)).body.status).toBe("deleted");
    expect((await api("POST", "/v1/accounts", { json: first.input })).status).toBe(409);
  });
});
