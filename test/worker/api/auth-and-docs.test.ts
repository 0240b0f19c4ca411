import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, expectError } from "./helpers.ts";

/** The contract's paths (docs/api.md), as OpenAPI names them: the document has at least these. */
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
  // Every operation's 401 is swept from the route table: route-table.test.ts.

  it("refuses a token of another scheme and a token with a prefix of the right one", async () => {
    for (const authorization of ["Basic dGVzdA==", "Bearer", "Bearer test-admin", ADMIN_TOKEN]) {
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
      headers: { authorization: `bearer ${ADMIN_TOKEN}` },
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
    expect(body.paths["/v1/accounts"].post.security).toEqual([{ bearerAuth: ["admin"] }]);
    expect(body.paths["/v1/accounts"].get.security).toEqual([{ bearerAuth: ["viewer"] }]);
  });

  it("documents both forms of the rules and the account's fields", async () => {
    const { body } = await api("GET", "/openapi.json", { token: null });
    const schemas = body.components.schemas;
    expect(schemas.RulesInput.anyOf).toHaveLength(2);
    expect(Object.keys(schemas.Account.properties).sort()).toEqual(
      [
        "created_at",
        "credentials",
        "distance_to_floor",
        "id",
        "label",
        "login",
        "metrics",
        "monitor_shard",
        "monitoring_state",
        "preset",
        "objectives_met_at",
        "problem",
        "problem_since",
        "rules",
        "rules_version",
        "server",
        "session_id",
        "status",
        "updated_at",
      ].sort(),
    );
    // `problem` is one of its codes or null, not any string.
    expect(schemas.Account.properties.problem.enum).toEqual([
      "token_invalid",
      "session_expired",
      "credentials_rejected",
      "upstream_unavailable",
      "mtapi_unreachable",
      "unsynced",
      "stale",
      "invalid_rules",
      null,
    ]);
  });
});
