import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../../../src/http/pagination.ts";
import { PRESET_NAMES } from "../../../src/risk/index.ts";
import { api, createViaApi, expectError, newAccountBody } from "./helpers.ts";

const withRules = (rules: unknown) => ({ json: newAccountBody({ rules }) });

let accountId = 0;
beforeAll(async () => {
  accountId = (await createViaApi()).account.id;
});

describe("bad input on POST /v1/accounts", () => {
  const cases: Array<
    [name: string, call: () => Parameters<typeof api>[2], status: number, path?: string]
  > = [
    ["malformed JSON", () => ({ raw: '{"login": ' }), 400],
    ["an empty JSON body", () => ({ raw: "" }), 400],
    ["no body at all", () => ({}), 400, "login"],
    ["a JSON array", () => ({ json: [1, 2] }), 400],
    [
      "a login of the wrong type",
      () => ({ json: newAccountBody({ login: 12345678 }) }),
      400,
      "login",
    ],
    ["a blank server", () => ({ json: newAccountBody({ server: "  " }) }), 400, "server"],
    [
      "a NUL character in the label",
      () => ({ json: newAccountBody({ label: "a\u0000b" }) }),
      400,
      "label",
    ],
    [
      "a field the contract does not have",
      () => ({ json: newAccountBody({ status: "active" }) }),
      400,
    ],
    ["rules that are not an object", () => withRules("ftmo-2step"), 400, "rules"],
    ["missing rules", () => ({ json: { ...newAccountBody(), rules: undefined } }), 400, "rules"],
    [
      "an unknown preset",
      () => withRules({ preset: "ftmo-9step", initial_balance: 1000 }),
      422,
      "rules.preset",
    ],
    [
      "a bad time zone",
      () =>
        withRules({
          preset: "ftmo-2step",
          initial_balance: 1000,
          daily_reset: { timezone: "Mars/Olympus" },
        }),
      422,
      "rules.daily_reset.timezone",
    ],
    [
      "live_exit_pct at or above live_enter_pct",
      () =>
        withRules({
          preset: "ftmo-2step",
          initial_balance: 1000,
          live_enter_pct: 90,
          live_exit_pct: 90,
        }),
      422,
      "rules.live_exit_pct",
    ],
    [
      "an incomplete full parameter set",
      () => withRules({ initial_balance: 1000, daily_loss: { limit: 5, unit: "percent" } }),
      422,
      "rules.max_loss",
    ],
    [
      "a negative initial balance",
      () => withRules({ preset: "ftmo-1step", initial_balance: -5 }),
      422,
      "rules.initial_balance",
    ],
    [
      "a misspelt rules field",
      () => withRules({ preset: "ftmo-1step", initial_balance: 5, dayly_loss: {} }),
      422,
      "rules",
    ],
  ];

  it.each(cases)("answers %s with the error shape", async (_name, call, status, path) => {
    const res = await api("POST", "/v1/accounts", call());
    expect(res.status).toBe(status);
    expectError(res.body, "validation_failed");
    if (path) {
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });

  it("answers a body that is not JSON with 415 in the error shape", async () => {
    const res = await api("POST", "/v1/accounts", {
      raw: JSON.stringify(newAccountBody()),
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(415);
    expectError(res.body, "unsupported_media_type");
  });

  it("reports envelope problems as 400 even when the rules are wrong too", async () => {
    const res = await api("POST", "/v1/accounts", {
      json: newAccountBody({ login: 7, rules: { preset: "nope", initial_balance: 1 } }),
    });
    expect(res.status).toBe(400);
  });
});

describe("bad input elsewhere", () => {
  /** `{id}` stands for an existing account. */
  const cases: Array<
    [method: string, path: string, call: Parameters<typeof api>[2], status: number]
  > = [
    ["PATCH", "/v1/accounts/{id}", { raw: "{" }, 400],
    ["PATCH", "/v1/accounts/{id}", { json: { status: "active" } }, 400],
    ["PATCH", "/v1/accounts/{id}", { json: { session_id: "" } }, 400],
    [
      "PATCH",
      "/v1/accounts/{id}",
      { json: { rules: { preset: "ftmo-2step", initial_balance: 0 } } },
      422,
    ],
    ["PATCH", "/v1/accounts/abc", { json: { label: "x" } }, 400],
    ["GET", "/v1/accounts/0", {}, 400],
    ["GET", "/v1/accounts/99999999999", {}, 400],
    ["GET", "/v1/accounts?limit=0", {}, 400],
    ["GET", "/v1/accounts?limit=501", {}, 400],
    ["GET", "/v1/accounts?limit=ten", {}, 400],
    ["GET", "/v1/accounts?status=frozen", {}, 400],
    ["GET", "/v1/accounts?monitoring_state=sleeping", {}, 400],
    ["GET", "/v1/accounts?cursor=not-a-cursor", {}, 400],
    ["GET", "/v1/accounts?cursor=%25%25%25", {}, 400],
    ["GET", "/v1/violations?since=yesterday", {}, 400],
    ["GET", "/v1/violations?since=0000-01-01T00:00:00Z", {}, 400],
    ["GET", "/v1/violations?account_id=-1", {}, 400],
    ["GET", "/v1/accounts/{id}/equity?from=2026-02-30", {}, 400],
    ["GET", "/v1/accounts/{id}/equity?from=2026-11-02&to=2026-11-01", {}, 400],
    ["POST", "/v1/poll", { json: { account_ids: [] } }, 400],
    ["POST", "/v1/poll", { json: { account_ids: ["42"] } }, 400],
    [
      "POST",
      "/v1/poll",
      { json: { account_ids: Array.from({ length: 501 }, (_, i) => i + 1) } },
      400,
    ],
    ["POST", "/v1/poll", { raw: "[" }, 400],
  ];

  it.each(cases)(
    "answers %s %s (case %#) with %i in the error shape",
    async (method, path, call, status) => {
      const res = await api(method, path.replace("{id}", String(accountId)), call);
      expect(res.status).toBe(status);
      expectError(res.body, "validation_failed");
    },
  );

  it("refuses a cursor from another list", async () => {
    const cursor = encodeCursor("accounts", accountId);
    expect((await api("GET", `/v1/accounts?cursor=${cursor}`)).status).toBe(200);
    const res = await api("GET", `/v1/violations?cursor=${cursor}`);
    expect(res.status).toBe(400);
    expectError(res.body, "validation_failed");
  });
});

describe("random JSON never makes the API fail", () => {
  const rulesLike = fc.record(
    {
      preset: fc.oneof(fc.constantFrom(...PRESET_NAMES), fc.jsonValue()),
      initial_balance: fc.oneof(fc.double(), fc.jsonValue()),
      daily_loss: fc.oneof(
        fc.record({ limit: fc.jsonValue(), unit: fc.jsonValue() }),
        fc.jsonValue(),
      ),
      daily_reset: fc.oneof(
        fc.record({ timezone: fc.string(), hour: fc.jsonValue() }),
        fc.jsonValue(),
      ),
      live_enter_pct: fc.jsonValue(),
      live_exit_pct: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const accountLike = fc.record(
    {
      login: fc.oneof(fc.string(), fc.jsonValue()),
      server: fc.oneof(fc.string(), fc.jsonValue()),
      session_id: fc.oneof(fc.string(), fc.jsonValue()),
      label: fc.oneof(fc.string(), fc.jsonValue()),
      rules: fc.oneof(rulesLike, fc.jsonValue()),
      reason: fc.oneof(fc.string({ maxLength: 520 }), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  // A valid envelope around random rules reaches the risk engine (and sometimes creates).
  const envelopeWithRules = fc.record({
    login: fc.uuid(),
    server: fc.constant("Fuzz-Server"),
    session_id: fc.uuid(),
    rules: fc.oneof(rulesLike, fc.jsonValue()),
  });
  const body = fc.oneof(
    fc.json(),
    accountLike.map((v) => JSON.stringify(v)),
    envelopeWithRules.map((v) => JSON.stringify(v)),
  );

  /** Checks an answer: below 500, and the error shape for every error. */
  function checkAnswer(res: { status: number; body: unknown }, ok: number[]): void {
    expect(res.status).toBeLessThan(500);
    if (!ok.includes(res.status)) {
      expect([400, 404, 409, 415, 422]).toContain(res.status);
      expect(res.body).toMatchObject({
        error: { code: expect.any(String), message: expect.any(String) },
      });
    }
  }

  it("answers any JSON body on POST /v1/accounts below 500, in the error shape when refused", async () => {
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        checkAnswer(await api("POST", "/v1/accounts", { raw }), [201]);
      }),
      { numRuns: 50 },
    );
  });

  it("answers any JSON body on PATCH /v1/accounts/{id} below 500, in the error shape when refused", async () => {
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        checkAnswer(await api("PATCH", `/v1/accounts/${accountId}`, { raw }), [200]);
      }),
      { numRuns: 50 },
    );
  });
});
