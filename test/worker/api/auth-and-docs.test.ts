import { describe, expect, it } from "vitest";
import { api, expectError } from "./helpers.ts";

/** Every `/v1` operation of admin-api.md, with a request that would otherwise be valid. */
const V1_OPERATIONS: Array<[method: string, path: string, json?: unknown]> = [
  [
    "POST",
    "/v1/accounts",
    {
      login: "1",
      server: "s",
      session_id: "x",
      rules: { preset: "ftmo-2step", initial_balance: 1 },
    },
  ],
  ["GET", "/v1/accounts"],
  ["GET", "/v1/accounts/1"],
  ["PATCH", "/v1/accounts/1", { label: "x" }],
  ["DELETE", "/v1/accounts/1"],
  ["POST", "/v1/accounts/1/reset"],
  ["POST", "/v1/accounts/1/live"],
  ["DELETE", "/v1/accounts/1/live"],
  ["GET", "/v1/accounts/1/violations"],
  ["GET", "/v1/accounts/1/equity"],
  ["GET", "/v1/violations"],
  ["GET", "/v1/monitor"],
  ["GET", "/v1/monitor/subscriptions"],
  ["POST", "/v1/poll", { account_ids: [1] }],
  ["POST", "/v1/poll"],
];

/** The contract's paths, as OpenAPI names them. */
const CONTRACT_PATHS: Record<string, string[]> = {
  "/health": ["get"],
  "/v1/accounts": ["get", "post"],
  "/v1/accounts/{id}": ["delete", "get", "patch"],
  "/v1/accounts/{id}/reset": ["post"],
  "/v1/accounts/{id}/live": ["delete", "post"],
  "/v1/accounts/{id}/violations": ["get"],
  "/v1/accounts/{id}/equity": ["get"],
  "/v1/violations": ["get"],
  "/v1/monitor": ["get"],
  "/v1/monitor/subscriptions": ["get"],
  "/v1/poll": ["post"],
};

describe("bearer auth on /v1", () => {
  it.each(V1_OPERATIONS)("answers 401 to %s %s without a token", async (method, path, json) => {
    const res = await api(method, path, { json, token: null });
    expect(res.status).toBe(401);
    expectError(res.body, "unauthorized");
  });

  it.each(V1_OPERATIONS)("answers 401 to %s %s with a wrong token", async (method, path, json) => {
    const res = await api(method, path, { json, token: "test-admin-tokeN" });
    expect(res.status).toBe(401);
    expectError(res.body, "unauthorized");
  });

  it("refuses a token of another scheme and a token with a prefix of the right one", async () => {
    for (const authorization of [
      "Basic dGVzdA==",
      "Bearer",
      "Bearer test-admin",
      "test-admin-token",
    ]) {
      const res = await api("GET", "/v1/accounts", { token: null, headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
  });

  it("answers an unknown /v1 path with 401 without a token and 404 with one", async () => {
    expect((await api("GET", "/v1/nope", { token: null })).status).toBe(401);
    const res = await api("GET", "/v1/nope");
    expect(res.status).toBe(404);
    expectError(res.body, "not_found");
  });

  it("accepts the admin token, whatever the case of the scheme", async () => {
    const res = await api("GET", "/v1/accounts?limit=1", {
      token: null,
      headers: { authorization: "bearer test-admin-token" },
    });
    expect(res.status).toBe(200);
  });
});

describe("GET /openapi.json", () => {
  it("is public and lists every path and method of the contract", async () => {
    const res = await api("GET", "/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    for (const [path, methods] of Object.entries(CONTRACT_PATHS)) {
      expect(Object.keys(res.body.paths[path] ?? {}).sort(), path).toEqual(methods);
    }
  });

  it("declares the bearer scheme, required everywhere but /health", async () => {
    const { body } = await api("GET", "/openapi.json", { token: null });
    expect(body.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(body.security).toEqual([{ bearerAuth: [] }]);
    expect(body.paths["/health"].get.security).toEqual([]);
    expect(body.paths["/v1/accounts"].post.security).toEqual([{ bearerAuth: [] }]);
  });

  it("documents both forms of the rules and the account's fields", async () => {
    const { body } = await api("GET", "/openapi.json", { token: null });
    const schemas = body.components.schemas;
    expect(schemas.RulesInput.anyOf).toHaveLength(2);
    expect(Object.keys(schemas.Account.properties).sort()).toEqual(
      [
        "created_at",
        "id",
        "label",
        "login",
        "metrics",
        "monitoring_state",
        "problem",
        "rules",
        "server",
        "session_id",
        "status",
        "updated_at",
      ].sort(),
    );
    // `problem` is one of its codes or null, not any string.
    expect(schemas.Account.properties.problem.enum).toEqual([
      "session_expired",
      "mtapi_unreachable",
      null,
    ]);
  });
});
