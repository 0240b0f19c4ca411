import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../../src/domain/audit.ts";
import { api, createViaApi, expectError } from "./helpers.ts";

let accountId = 0;
beforeAll(async () => {
  accountId = (await createViaApi()).account.id;
});

const long = "x".repeat(501);

describe("bad input on the desk paths names the field", () => {
  /** `{id}` stands for an existing account. */
  const cases: Array<
    [method: string, path: string, call: Parameters<typeof api>[2], status: number, field: string]
  > = [
    ["POST", "/v1/keys", { json: { name: "k", role: "superuser" } }, 400, "role"],
    ["POST", "/v1/keys", { json: { name: "", role: "viewer" } }, 400, "name"],
    ["POST", "/v1/keys", { json: { name: "admin-token", role: "viewer" } }, 400, "name"],
    ["POST", "/v1/keys", { json: { name: "poller", role: "viewer" } }, 400, "name"],
    ["POST", "/v1/keys", { json: { name: "k\u0001", role: "viewer" } }, 400, "name"],
    ["POST", "/v1/keys", { json: { name: "k", role: "viewer", reason: "" } }, 400, "reason"],
    ["POST", "/v1/keys", { json: { name: "k", role: "viewer", reason: long } }, 400, "reason"],
    ["POST", "/v1/keys", { json: { name: "k", role: "viewer", secret: "mine" } }, 400, ""],
    ["DELETE", "/v1/keys/abc", {}, 400, "id"],
    ["DELETE", "/v1/keys/2147483647", {}, 404, "id"],
    ["DELETE", "/v1/keys/1?reason=", {}, 400, "reason"],
    ["DELETE", `/v1/keys/1?reason=${long}`, {}, 400, "reason"],
    ["PATCH", "/v1/accounts/{id}", { json: { label: "x", reason: "" } }, 400, "reason"],
    ["PATCH", "/v1/accounts/{id}", { json: { label: "x", reason: long } }, 400, "reason"],
    ["PATCH", "/v1/accounts/{id}", { json: { label: "x", reason: 5 } }, 400, "reason"],
    ["POST", "/v1/accounts/{id}/reset", { json: { reason: "   " } }, 400, "reason"],
    ["POST", "/v1/accounts/{id}/reset", { json: { why: "x" } }, 400, ""],
    ["POST", "/v1/accounts/{id}/live", { json: { reason: long } }, 400, "reason"],
    ["POST", "/v1/accounts/{id}/live", { raw: "{" }, 400, ""],
    ["DELETE", "/v1/accounts/{id}/live?reason=", {}, 400, "reason"],
    ["DELETE", `/v1/accounts/{id}?reason=${long}`, {}, 400, "reason"],
    ["GET", "/v1/audit?action=account.exploded", {}, 400, "action"],
    ["GET", "/v1/audit?account_id=zero", {}, 400, "account_id"],
    ["GET", "/v1/audit?since=last-week", {}, 400, "since"],
    ["GET", "/v1/audit?limit=0", {}, 400, "limit"],
    ["GET", "/v1/audit?cursor=bogus", {}, 400, "cursor"],
    ["GET", `/v1/audit?actor=${"a".repeat(101)}`, {}, 400, "actor"],
    ["GET", "/v1/violations/0", {}, 400, "id"],
    ["GET", "/v1/violations/x", {}, 400, "id"],
    ["GET", "/v1/accounts/0/rules", {}, 400, "id"],
    ["GET", "/v1/violations.csv?account_id=-3", {}, 400, "account_id"],
    ["GET", "/v1/accounts.csv?status=frozen", {}, 400, "status"],
  ];

  it.each(cases)("answers %s %s (case %#) with %i", async (method, path, call, status, field) => {
    const res = await api(method, path.replace("{id}", String(accountId)), call);
    expect(res.status).toBe(status);
    expectError(res.body, status === 404 ? "not_found" : "validation_failed");
    if (field) {
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    }
  });
});

describe("random input never makes the desk paths fail", () => {
  /** Below 500, and the error shape for every refusal. */
  function checkAnswer(res: { status: number; body: unknown }, ok: number[]): void {
    expect(res.status).toBeLessThan(500);
    if (!ok.includes(res.status)) {
      expect([400, 404, 409, 415, 422]).toContain(res.status);
      expect(res.body).toMatchObject({
        error: { code: expect.any(String), message: expect.any(String) },
      });
    }
  }
  const reason = fc.oneof(fc.string({ maxLength: 520 }), fc.jsonValue());
  const keyLike = fc.record(
    {
      name: fc.oneof(
        fc.string({ maxLength: 120 }),
        fc.constantFrom("admin-token", "monitor"),
        fc.jsonValue(),
      ),
      role: fc.oneof(fc.constantFrom("viewer", "operator", "admin"), fc.string(), fc.jsonValue()),
      reason,
    },
    { requiredKeys: [] },
  );
  const keyBody = fc.oneof(
    fc.json(),
    keyLike.map((v) => JSON.stringify(v)),
  );
  const reasonBody = fc.oneof(
    fc.json(),
    fc.record({ reason }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  );
  const queryValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer().map(String),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(...AUDIT_ACTIONS),
  );
  const query = (keys: string[]) =>
    fc
      .dictionary(fc.constantFrom(...keys), queryValue, { maxKeys: keys.length })
      .map((q) => new URLSearchParams(q).toString());

  it("POST /v1/keys with any JSON body", async () => {
    await fc.assert(
      fc.asyncProperty(keyBody, async (raw) => {
        const res = await api("POST", "/v1/keys", { raw });
        checkAnswer(res, [201]);
        // Tidy up the keys the fuzzer made, so the name space stays free.
        if (res.status === 201)
          expect((await api("DELETE", `/v1/keys/${res.body.id}`)).status).toBe(204);
      }),
      { numRuns: 40 },
    );
  });

  it("POST reset and live with any JSON body", async () => {
    await fc.assert(
      fc.asyncProperty(reasonBody, fc.constantFrom("reset", "live"), async (raw, action) => {
        checkAnswer(await api("POST", `/v1/accounts/${accountId}/${action}`, { raw }), [200]);
      }),
      { numRuns: 40 },
    );
  });

  it("DELETE keys and live with any reason and id", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 600 }),
        fc.oneof(fc.integer(), fc.string({ maxLength: 12 })),
        async (r, id) => {
          const q = new URLSearchParams({ reason: r }).toString();
          checkAnswer(
            await api("DELETE", `/v1/keys/${encodeURIComponent(String(id))}?${q}`),
            [204],
          );
          checkAnswer(await api("DELETE", `/v1/accounts/${accountId}/live?${q}`), [200]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("GET /v1/audit, the CSV exports and a violation with any query", async () => {
    await fc.assert(
      fc.asyncProperty(
        query(["account_id", "actor", "action", "since", "limit", "cursor"]),
        query(["account_id", "since", "status", "monitoring_state"]),
        fc.oneof(fc.integer(), fc.string({ maxLength: 12 })),
        async (auditQ, csvQ, id) => {
          checkAnswer(await api("GET", `/v1/audit?${auditQ}`), [200]);
          checkAnswer(await api("GET", `/v1/violations/${encodeURIComponent(String(id))}`), [200]);
          checkAnswer(
            await api("GET", `/v1/accounts/${encodeURIComponent(String(id))}/rules`),
            [200],
          );
          for (const path of ["/v1/violations.csv", "/v1/accounts.csv"]) {
            const res = await api(
              "GET",
              `${path}?${csvQ}&account_id=2147483647&status=disabled`,
            ).catch(() => null);
            // A 200 answer is CSV (the helper's JSON parse fails); anything else must be JSON.
            if (res) checkAnswer(res, [200]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

afterAll(async () => {
  // The fuzzer may have left the account live on the shared monitor.
  await api("DELETE", `/v1/accounts/${accountId}/live`);
});
