/**
 * Share links and what a trader sees through one (docs/trader-page.md): made by an operator
 * (the token shown once, stored hashed), listed without tokens, revoked at once, audited; the
 * shared data holds one account and nothing of the desk; every unusable token is the same 404;
 * guessing is rate-limited; the breach report's numbers are the violation's.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountShares } from "../../../src/db/schema.ts";
import { missesPerClient } from "../../../src/http/shared-limit.ts";
import { sim, withTestDb } from "../helpers.ts";
import { addToSim, api, createKey, createViaApi, expectError } from "./helpers.ts";

/** An account the simulator knows, polled once at the given figures. */
async function polledAccount(balance: number, equity: number) {
  const created = await createViaApi();
  await addToSim(created, { balance, equity });
  const polled = await api("POST", "/v1/poll", { json: { account_ids: [created.account.id] } });
  expect(polled.status).toBe(200);
  return {
    ...(created.account as { id: number; login: string; server: string }),
    secret: created.sessionId,
  };
}

/** Makes a link as the admin token; returns its answer and token. */
async function share(accountId: number, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/v1/accounts/${accountId}/shares`, { json: body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const token = new URL(res.body.url).pathname.split("/")[2]!;
  return { ...res.body, token } as { id: number; url: string; expires_at: string; token: string };
}

/** A shared request: no bearer, a client address of its own unless given. */
const shared = (path: string, headers: Record<string, string> = {}) =>
  api("GET", path, { token: null, headers });

describe("share links", () => {
  it("lets an operator make a link that expires in the days asked, shows the token once, and audits it", async () => {
    const operator = await createKey("operator");
    const { account } = await createViaApi();
    const before = Date.now();
    const res = await api("POST", `/v1/accounts/${account.id}/shares`, {
      token: operator.key,
      json: { expires_in_days: 7, reason: "trader asked" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.url).toMatch(/^http:\/\/sentinel\.test\/t\/[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(res.body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    expect(expires).toBeLessThan(Date.now() + 7 * 86_400_000 + 1);
    const token = res.body.url.split("/t/")[1];

    const list = await api("GET", `/v1/accounts/${account.id}/shares`);
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: res.body.id, state: "active", created_by: operator.name }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(token);
    const [stored] = await withTestDb((db) =>
      db.select().from(accountShares).where(eq(accountShares.id, res.body.id)),
    );
    expect(stored!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.tokenHash).not.toContain(token);

    const audit = await api("GET", `/v1/audit?account_id=${account.id}&action=share.created`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({ actor: operator.name, reason: "trader asked" }),
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(token);
  });

  it("refuses viewers, more than 90 days, unknown fields and unknown accounts", async () => {
    const viewer = await createKey("viewer");
    const { account } = await createViaApi();
    const path = `/v1/accounts/${account.id}/shares`;
    expectError((await api("POST", path, { token: viewer.key, json: {} })).body, "forbidden");
    for (const json of [
      { expires_in_days: 91 },
      { expires_in_days: 0 },
      { expires_in_days: 1.5 },
      { token: "x" },
    ]) {
      const res = await api("POST", path, { json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expectError(res.body, "validation_failed");
    }
    expect((await api("POST", "/v1/accounts/999999/shares", { json: {} })).status).toBe(404);
    expect((await api("GET", path, { token: viewer.key })).status).toBe(200);
    expect((await api("GET", path)).body.items).toEqual([]);
  });

  it("revokes at once: the next request with the token is the same 404 as a guessed, malformed or expired one", async () => {
    const account = await polledAccount(100_000, 99_000);
    const link = await share(account.id);
    expect((await shared(`/v1/shared/${link.token}`)).status).toBe(200);

    const revoked = await api(
      "DELETE",
      `/v1/accounts/${account.id}/shares/${link.id}?reason=ended`,
    );
    expect(revoked.status).toBe(204);
    const afterRevoke = await shared(`/v1/shared/${link.token}`);

    const expiring = await share(account.id);
    await withTestDb((db) =>
      db
        .update(accountShares)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(accountShares.id, expiring.id)),
    );
    const expired = await shared(`/v1/shared/${expiring.token}`);
    const guessed = await shared(`/v1/shared/${"A".repeat(43)}`);
    const malformed = await shared(`/v1/shared/not-a-token`);
    const long = await shared(`/v1/shared/${"x".repeat(400)}`);
    for (const res of [afterRevoke, expired, guessed, malformed, long]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(afterRevoke.body);
    }
    expect(afterRevoke.body).toEqual({
      error: {
        code: "not_found",
        message: "this link does not exist, has expired or was revoked",
        details: null,
      },
    });
    expect((await shared(`/t/${link.token}`)).status).toBe(404);
    expect((await shared(`/v1/shared/${link.token}/equity`)).status).toBe(404);
    expect((await shared(`/v1/shared/${link.token}/trades`)).status).toBe(404);

    const list = await api("GET", `/v1/accounts/${account.id}/shares`);
    expect(list.body.items.map((s: { state: string }) => s.state)).toEqual(["expired", "revoked"]);
    const again = await api("DELETE", `/v1/accounts/${account.id}/shares/${link.id}`);
    expect(again.status).toBe(204);
    const audit = await api("GET", `/v1/audit?account_id=${account.id}&action=share.revoked`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ reason: "ended", before: { share_id: link.id } });
    // Another account's link id is not this account's.
    const other = await createViaApi();
    const wrong = await api("DELETE", `/v1/accounts/${other.account.id}/shares/${expiring.id}`);
    expect(wrong.status).toBe(404);
  });
});

describe("GET /v1/shared/{token}", () => {
  it("shows one account's floors, distances, usage, next reset and violations, and nothing of the desk", async () => {
    const account = await polledAccount(104_000, 99_500);
    const neighbour = await polledAccount(100_000, 99_000);
    const link = await share(account.id);
    const res = await shared(`/v1/shared/${link.token}`, {
      cookie: "ds_session=forged.value",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const body = res.body;
    expect(body.account).toEqual({
      label: "api test",
      login: account.login,
      server: account.server,
      status: "active",
      currency_digits: 2,
      initial_balance: 100_000,
    });
    expect(body.floors).toEqual([
      expect.objectContaining({ rule: "daily_loss", floor: 99_000, distance: 500, usage: 90 }),
      expect.objectContaining({ rule: "max_loss", floor: 90_000, distance: 9_500, usage: 5 }),
    ]);
    expect(body.floors[0].text).toMatch(/^Daily loss limit/);
    expect(body.next_reset.firm_timezone).toBe("Europe/Prague");
    expect(Date.parse(body.next_reset.at)).toBeGreaterThan(Date.now());
    expect(body.next_reset.in_s).toBeGreaterThan(0);
    expect(body.next_reset.in_s).toBeLessThanOrEqual(25 * 3600);
    expect(body.violations).toEqual([]);
    const text = JSON.stringify(body);
    for (const secret of [account.secret, "session", "audit", "monitoring", "problem", "sk_"])
      expect(text).not.toContain(secret);
    expect(text).not.toContain(neighbour.login);
  });

  it("serves the trader page for a live link and a 404 page otherwise, with no referrer and no cookie", async () => {
    const account = await polledAccount(100_000, 99_000);
    const link = await share(account.id);
    const page = await shared(`/t/${link.token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(page.headers.get("set-cookie")).toBeNull();
    expect(page.body).toContain('<script type="module" src="/trader.js">');
    const missing = await shared(`/t/${"B".repeat(43)}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('data-missing="1"');
  });

  it("lists this account's newest trades as the desk sees them, with the violations each caused, and no other account's", async () => {
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    const now = Date.now();
    const order = (ticket: number, openMs: number) => ({
      ticket,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: 1,
      openPrice: 1.08,
      openTime: iso(openMs),
      stopLoss: 0,
      takeProfit: 0,
      profit: -12.5,
      swap: 0,
      commission: -3,
    });
    const created = await createViaApi({
      rules: {
        preset: "ftmo-2step",
        initial_balance: 100_000,
        trade_rules: { stop_loss_required: { grace_s: 60 } },
      },
    });
    await addToSim(created, { balance: 100_000 });
    const other = await createViaApi();
    await addToSim(other, { balance: 100_000 });
    await sim(`/orders/${created.sessionId}`, { opened: [order(9101, now - 600_000)] }, "PUT");
    await sim(`/orders/${other.sessionId}`, { opened: [order(9201, now - 600_000)] }, "PUT");
    for (const a of [created, other])
      expect(
        (await api("POST", "/v1/poll", { json: { account_ids: [a.account.id] } })).status,
      ).toBe(200);
    const link = await share(created.account.id);
    const res = await shared(`/v1/shared/${link.token}/trades`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const desk = await api("GET", `/v1/accounts/${created.account.id}/trades`);
    expect(res.body.items).toEqual(desk.body.items);
    expect(res.body.items.map((t: { ticket: number }) => t.ticket)).toEqual([9101]);
    expect(res.body.items[0].violations).toHaveLength(1);
    expect(JSON.stringify(res.body)).not.toContain("9201");
    expect(JSON.stringify(res.body)).not.toContain(created.sessionId);
  });

  it("is documented as public (no bearer, no role) and the share routes with their roles", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).body;
    for (const path of [
      "/v1/shared/{token}",
      "/v1/shared/{token}/equity",
      "/v1/shared/{token}/trades",
      "/v1/shared/{token}/violations/{id}/report",
    ]) {
      expect(doc.paths[path].get.security, path).toEqual([]);
      expect(doc.paths[path].get["x-required-role"], path).toBeUndefined();
    }
    expect(doc.paths["/v1/accounts/{id}/shares"].post["x-required-role"]).toBe("operator");
    expect(doc.paths["/v1/accounts/{id}/shares"].get["x-required-role"]).toBe("viewer");
    expect(doc.paths["/v1/violations/{id}/report"].get["x-required-role"]).toBe("viewer");
  });

  it("answers 429 to a client that guesses too often, valid link or not", async () => {
    missesPerClient.clear();
    const account = await polledAccount(100_000, 99_000);
    const link = await share(account.id);
    const client = { "cf-connecting-ip": `guesser-${crypto.randomUUID()}` };
    for (let i = 0; i < missesPerClient.limit; i++) {
      expect((await shared(`/v1/shared/${"C".repeat(42)}${i % 10}`, client)).status).toBe(404);
    }
    const limited = await shared(`/v1/shared/${link.token}`, client);
    expect(limited.status).toBe(429);
    expectError(limited.body, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another client is not held up.
    expect((await shared(`/v1/shared/${link.token}`)).status).toBe(200);
  });
});

describe("the breach report", () => {
  it("states the violation's numbers, replayed through the engine, as JSON, as a page, and on the trader's link only for its own account", async () => {
    const account = await polledAccount(104_000, 98_500);
    const [violation] = (await api("GET", `/v1/accounts/${account.id}/violations`)).body.items;
    expect(violation).toMatchObject({ rule: "daily_loss", floor: 99_000, equity: 98_500 });

    const res = await api("GET", `/v1/violations/${violation.id}/report`);
    expect(res.status).toBe(200);
    const report = res.body;
    expect(report.violation).toMatchObject({ id: violation.id, floor: 99_000, equity: 98_500 });
    expect(report.floor).toMatchObject({ value: 99_000, reference: 104_000, allowance: 5_000 });
    expect(report.check).toMatchObject({
      replayed: true,
      engine_floor: 99_000,
      computed_floor: 99_000,
      recorded_floor: 99_000,
      engine_breached: true,
      agrees: true,
    });
    expect(report.reading).toMatchObject({ equity: 98_500, balance: 104_000, source: "poll" });
    expect(report.reading.source_text).toMatch(/MTAPI REST \(GET \/AccountSummary\?id=/);
    expect(JSON.stringify(report)).not.toContain(account.secret);
    expect(report.equity.at(-1)).toMatchObject({ equity: 98_500, at: violation.detected_at });

    const html = await api("GET", `/v1/violations/${violation.id}/report?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(html.body).toContain('<strong id="report-floor">99,000.00</strong>');
    expect(html.body).toContain('<dd id="report-equity">98,500.00</dd>');
    expect((await api("GET", `/v1/violations/${violation.id}/report?format=pdf`)).status).toBe(400);
    expect((await api("GET", "/v1/violations/999999/report")).status).toBe(404);

    const viewer = await createKey("viewer");
    expect(
      (await api("GET", `/v1/violations/${violation.id}/report`, { token: viewer.key })).status,
    ).toBe(200);

    const link = await share(account.id);
    const viaLink = await shared(`/v1/shared/${link.token}/violations/${violation.id}/report`);
    expect(viaLink.status).toBe(200);
    expect(viaLink.body).toEqual(report);
    const data = await shared(`/v1/shared/${link.token}`);
    expect(data.body.account.status).toBe("breached");
    expect(data.body.violations).toEqual([
      expect.objectContaining({ id: violation.id, floor: 99_000, equity: 98_500 }),
    ]);

    const other = await polledAccount(104_000, 98_000);
    const [otherViolation] = (await api("GET", `/v1/accounts/${other.id}/violations`)).body.items;
    const foreign = await shared(`/v1/shared/${link.token}/violations/${otherViolation.id}/report`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual((await shared(`/v1/shared/${"D".repeat(43)}`)).body);
  });
});
