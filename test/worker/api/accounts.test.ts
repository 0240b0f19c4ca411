import { and } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditOf } from "../fixtures.ts";
import { PRESETS } from "../../../src/risk/index.ts";
import { getAccount, tokenOf } from "../helpers.ts";
import { api, type ApiAnswer, createViaApi, expectError, newAccountBody } from "./helpers.ts";

const FULL_RULES = {
  initial_balance: 50_000,
  daily_loss: { limit: 2_500, unit: "amount", basis: "initial_balance" },
  daily_reference: "max_balance_equity",
  daily_reset: { timezone: "America/New_York", hour: 17 },
  max_loss: { limit: 6, unit: "percent", mode: "trailing", lock_at_initial: true },
  live_enter_pct: 95,
  live_exit_pct: 85,
};

/** Walks a list from its first page; stops after the page that reaches below `stopBelow`. */
async function walk(query: string, stopBelow: number): Promise<number[][]> {
  const pages: number[][] = [];
  let cursor: string | null = null;
  do {
    const res: ApiAnswer = await api(
      "GET",
      `/v1/accounts?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(res.status).toBe(200);
    const ids: number[] = res.body.items.map((a: { id: number }) => a.id);
    pages.push(ids);
    cursor = res.body.next_cursor;
    if (ids.some((id) => id < stopBelow)) break;
  } while (cursor);
  return pages;
}

describe("POST /v1/accounts", () => {
  it("creates an account from a preset and answers 201 with the resolved rules", async () => {
    const { account, input } = await createViaApi();
    expect(account).toEqual({
      id: expect.any(Number),
      login: input.login,
      server: input.server,
      session_id: `${input.session_id.slice(0, 4)}...`,
      label: "api test",
      status: "active",
      monitoring_state: "polling",
      monitor_shard: null,
      preset: "ftmo-2step",
      rules: { ...PRESETS["ftmo-2step"], initial_balance: 100_000 },
      rules_version: 1,
      metrics: null,
      problem: null,
      problem_since: null,
      credentials: { kind: null, set_at: null, last_login_at: null, status: "none" },
      distance_to_floor: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    const row = await getAccount(account.id);
    expect(row.preset).toBe("ftmo-2step");
    expect(await tokenOf(row)).toBe(input.session_id);
  });

  it("deep-merges preset overrides and accepts the full parameter set", async () => {
    const merged = await createViaApi({
      rules: {
        preset: "ftmo-2step",
        initial_balance: 10_000,
        daily_reset: { hour: 23 },
        live_enter_pct: 98,
      },
    });
    expect(merged.account.rules.daily_reset).toEqual({ timezone: "Europe/Prague", hour: 23 });
    expect(merged.account.rules.live_enter_pct).toBe(98);
    const full = await createViaApi({ rules: FULL_RULES, label: null });
    expect(full.account.rules).toEqual(FULL_RULES);
    expect(full.account.label).toBeNull();
    expect((await getAccount(full.account.id)).preset).toBeNull();
  });

  it("answers 409 conflict for a login and server that exist already", async () => {
    const { input } = await createViaApi();
    const res = await api("POST", "/v1/accounts", {
      json: { ...input, session_id: crypto.randomUUID() },
    });
    expect(res.status).toBe(409);
    expectError(res.body, "conflict");
    expect(JSON.stringify(res.body)).not.toContain("accounts_login_server_key");
    // The same login on another server is another account (with its own session).
    const other = await api("POST", "/v1/accounts", {
      json: { ...input, server: `${input.server}-b`, session_id: crypto.randomUUID() },
    });
    expect(other.status).toBe(201);
  });

  it("answers 409 naming session_id when another active account uses the session, on create and patch", async () => {
    const first = await createViaApi();
    const dup = await api("POST", "/v1/accounts", {
      json: newAccountBody({ session_id: first.sessionId }),
    });
    expect(dup.status).toBe(409);
    expectError(dup.body, "conflict");
    expect(dup.body.error.details).toEqual([
      { field: "session_id", issue: "in use by another active account" },
    ]);
    expect(JSON.stringify(dup.body)).not.toContain(first.sessionId);

    const second = await createViaApi();
    const patched = await api("PATCH", `/v1/accounts/${second.account.id}`, {
      json: { session_id: first.sessionId },
    });
    expect(patched.status).toBe(409);
    expectError(patched.body, "conflict");
    expect(await tokenOf(await getAccount(second.account.id))).toBe(second.sessionId);

    // A deleted account frees its session for a new one.
    expect((await api("DELETE", `/v1/accounts/${first.account.id}`)).status).toBe(204);
    const reuse = await api("POST", "/v1/accounts", {
      json: newAccountBody({ session_id: first.sessionId }),
    });
    expect(reuse.status).toBe(201);
  });

  it("masks short session tokens entirely", async () => {
    const { account } = await createViaApi({ session_id: "abc123" });
    expect(account.session_id).toBe("...");
  });
});

describe("GET /v1/accounts", () => {
  it("walks every account exactly once, newest first, across pages", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createViaApi()).account.id);
    const pages = await walk("limit=2", Math.min(...ids));
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(2);
    const seen = pages.flat();
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen.filter((s) => s === id)).toHaveLength(1);
  });

  it("filters by status and monitoring_state, and pages through the filtered list", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createViaApi()).account.id);
    const deleted = [ids[0]!, ids[2]!, ids[4]!];
    for (const id of deleted) expect((await api("DELETE", `/v1/accounts/${id}`)).status).toBe(204);
    const pages = await walk("status=deleted&limit=1", Math.min(...ids));
    const seen = pages.flat();
    expect(seen.filter((id) => ids.includes(id)).sort()).toEqual([...deleted].sort());
    expect(new Set(seen).size).toBe(seen.length);
    const res = await api("GET", "/v1/accounts?status=deleted&monitoring_state=polling&limit=500");
    expect(res.body.items.every((a: { status: string }) => a.status === "deleted")).toBe(true);
    const live = await api("GET", "/v1/accounts?monitoring_state=live&limit=500");
    expect(live.body.items.map((a: { id: number }) => a.id)).not.toContain(ids[1]);
  });

  it("answers next_cursor null on the last page", async () => {
    const first = (await createViaApi()).account.id;
    for (let i = 0; i < 2; i++) await createViaApi();
    // Every page of two down to (and past) the three new accounts: the walk ends on a page
    // whose next_cursor is null, whatever else the database holds.
    const pages = await walk("limit=2", 0);
    const seen = pages.flat();
    expect(seen).toContain(first);
    expect(pages.length).toBe(Math.ceil(seen.length / 2));
    const last = await api("GET", `/v1/accounts?limit=${seen.length}`);
    expect(last.body.items).toHaveLength(seen.length);
    expect(last.body.next_cursor).toBeNull();
  });
});

describe("GET, PATCH and DELETE /v1/accounts/{id}", () => {
  it("reads one account, and 404s an unknown one", async () => {
    const { account } = await createViaApi();
    const res = await api("GET", `/v1/accounts/${account.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(account);
    const missing = await api("GET", "/v1/accounts/2147483647");
    expect(missing.status).toBe(404);
    expectError(missing.body, "not_found");
  });

  it("changes the label, the session id and the rules, resolving new rules", async () => {
    const { account } = await createViaApi();
    const session = crypto.randomUUID();
    const res = await api("PATCH", `/v1/accounts/${account.id}`, {
      json: {
        label: "renamed",
        session_id: session,
        rules: { preset: "topstep-style", initial_balance: 50_000 },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      label: "renamed",
      session_id: `${session.slice(0, 4)}...`,
      rules: { ...PRESETS["topstep-style"], initial_balance: 50_000 },
    });
    const row = await getAccount(account.id);
    expect(await tokenOf(row)).toBe(session);
    expect(row.preset).toBe("topstep-style");
    // Fields not sent stay; null clears the label.
    const cleared = await api("PATCH", `/v1/accounts/${account.id}`, { json: { label: null } });
    expect(cleared.body).toMatchObject({ label: null, rules: res.body.rules });
  });

  it("answers 404 to a PATCH of an unknown account", async () => {
    const res = await api("PATCH", "/v1/accounts/2147483647", { json: { label: "x" } });
    expect(res.status).toBe(404);
    expectError(res.body, "not_found");
  });

  it("archives an account on DELETE: 204, status deleted, audited, idempotent", async () => {
    const { account } = await createViaApi();
    const res = await api("DELETE", `/v1/accounts/${account.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    const row = await getAccount(account.id);
    expect(row).toMatchObject({ status: "deleted", monitoringState: "polling", stateVersion: 1 });
    const audit = await auditOf(account.id, "status");
    expect(audit).toEqual([
      expect.objectContaining({
        action: "account.deleted",
        actor: "admin-token",
        fromValue: "active",
        toValue: "deleted",
        source: "api",
        reason: null,
      }),
    ]);
    expect((await api("DELETE", `/v1/accounts/${account.id}`)).status).toBe(204);
    expect((await getAccount(account.id)).stateVersion).toBe(1);
    expect((await api("DELETE", "/v1/accounts/2147483647")).status).toBe(404);
  });

  it("trims blanks around the login, so a padded duplicate is still a 409", async () => {
    const body = newAccountBody();
    expect((await api("POST", "/v1/accounts", { json: body })).status).toBe(201);
    expect(
      (await api("POST", "/v1/accounts", { json: { ...body, login: ` ${body.login} ` } })).status,
    ).toBe(409);
  });
});
