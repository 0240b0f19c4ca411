import { exports } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, violations } from "../../../src/db/schema.ts";
import { EXPORT_PAGE } from "../../../src/accounts/exports.ts";
import { createTestAccounts, withTestDb } from "../helpers.ts";
import { ADMIN_TOKEN, BASE, api, createKey, createViaApi } from "./helpers.ts";
import { parseCsv } from "../fixtures.ts";

async function getCsv(path: string, token = ADMIN_TOKEN) {
  const res = await exports.default.fetch(`${BASE}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("GET /v1/accounts.csv", () => {
  it("streams every matching account as an attachment, RFC 4180, formulas guarded", async () => {
    const evil = await createViaApi({ label: '=HYPERLINK("http://evil","x"), "quoted"\nline' });
    const plain = await createViaApi({ label: "@plain" });
    await withTestDb((db) =>
      db
        .update(accounts)
        .set({ status: "breached" })
        .where(inArray(accounts.id, [evil.account.id, plain.account.id])),
    );
    const res = await getCsv("/v1/accounts.csv?status=breached");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="accounts.csv"');
    const rows = parseCsv(res.text);
    const header = rows[0]!;
    expect(header.slice(0, 6)).toEqual(["id", "login", "server", "session_id", "label", "status"]);
    const body = rows.slice(1);
    expect(body.every((r) => r.length === header.length)).toBe(true);
    expect(body.every((r) => r[header.indexOf("status")] === "breached")).toBe(true);
    const byId = new Map(body.map((r) => [Number(r[0]), r]));
    expect(byId.get(evil.account.id)![header.indexOf("label")]).toBe(
      `'=HYPERLINK("http://evil","x"), "quoted"\nline`,
    );
    expect(byId.get(plain.account.id)![header.indexOf("label")]).toBe("'@plain");
    expect(byId.get(plain.account.id)![header.indexOf("session_id")]).toBe(
      `${plain.sessionId.slice(0, 4)}...`,
    );
    expect(res.text).not.toContain(plain.sessionId);
    // Newest first, like the list, and the same set as the JSON list walked to its end.
    const ids = body.map((r) => Number(r[0]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const listed: number[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: { body: { items: Array<{ id: number }>; next_cursor: string | null } } =
        await api(
          "GET",
          `/v1/accounts?status=breached&limit=500${cursor ? `&cursor=${cursor}` : ""}`,
        );
      listed.push(...page.body.items.map((a) => a.id));
      cursor = page.body.next_cursor;
    }
    expect(ids).toEqual(listed);
  });

  it("streams more rows than one export page, and reads for a viewer key", async () => {
    // Disabled, so that no sweep polls them.
    const made = await createTestAccounts(EXPORT_PAGE + 1, { inSim: false });
    await withTestDb((db) =>
      db
        .update(accounts)
        .set({ status: "disabled" })
        .where(
          inArray(
            accounts.id,
            made.map((a) => a.id),
          ),
        ),
    );
    const viewer = await createKey("viewer");
    const res = await getCsv("/v1/accounts.csv?status=disabled", viewer.key);
    expect(res.status).toBe(200);
    const n = await withTestDb((db) => db.$count(accounts, eq(accounts.status, "disabled")));
    expect(n).toBeGreaterThan(EXPORT_PAGE);
    const ids = parseCsv(res.text)
      .slice(1)
      .map((r) => Number(r[0]));
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect(ids).toEqual(expect.arrayContaining(made.map((a) => a.id)));
  });

  it("answers a filter that does not parse with 400 naming it", async () => {
    const res = await api("GET", "/v1/accounts.csv?monitoring_state=asleep");
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe("monitoring_state");
  });
});

describe("GET /v1/violations.csv", () => {
  it("streams the account's violations with the list's filters", async () => {
    const { account } = await createViaApi();
    await withTestDb((db) =>
      db.insert(violations).values(
        ["2026-11-01", "2026-11-02", "2026-11-03"].map((period, i) => ({
          accountId: account.id,
          rule: "daily_loss",
          period,
          equity: 94_000 - i,
          floor: 95_000,
          usage: 120,
          source: "poll",
          detectedAt: new Date(`${period}T10:00:00Z`),
          rulesVersion: 1,
          severity: i === 2 ? ("soft" as const) : ("hard" as const),
        })),
      ),
    );
    const res = await getCsv(`/v1/violations.csv?account_id=${account.id}&since=2026-11-02`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="violations.csv"');
    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual([
      "id",
      "account_id",
      "rule",
      "period",
      "equity",
      "floor",
      "usage",
      "source",
      "detected_at",
      "rules_version",
    ]);
    expect(rows.slice(1).map((r) => [r[1], r[3], r[4], r[8], r[9]])).toEqual([
      [String(account.id), "2026-11-03", "93998", "2026-11-03T10:00:00.000Z", "1"],
      [String(account.id), "2026-11-02", "93999", "2026-11-02T10:00:00.000Z", "1"],
    ]);
    // The list's severity filter too (docs/api.md: exports honour every filter of their list).
    for (const [severity, period] of [
      ["hard", "2026-11-02"],
      ["soft", "2026-11-03"],
    ]) {
      const only = await getCsv(
        `/v1/violations.csv?account_id=${account.id}&since=2026-11-02&severity=${severity}`,
      );
      expect(
        parseCsv(only.text)
          .slice(1)
          .map((r) => r[3]),
      ).toEqual([period]);
    }
    const none = await getCsv("/v1/violations.csv?account_id=2147483647");
    expect(none.text).toBe(`${rows[0]!.join(",")}\r\n`);
    const bad = await api("GET", "/v1/violations.csv?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("since");
    await withTestDb((db) => db.delete(violations).where(eq(violations.accountId, account.id)));
  });
});
