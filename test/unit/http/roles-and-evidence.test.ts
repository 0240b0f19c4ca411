import { describe, expect, it } from "vitest";
import { buildEvidence, eventCause, maskSecrets } from "../../../src/domain/breach-evidence.ts";
import { presentAudit } from "../../../src/domain/audit.ts";
import { generateKey, lastUsedIsStale, sha256Hex } from "../../../src/http/key-store.ts";
import { honoPath, openApiPath, RoleTable, roleAllows } from "../../../src/http/role-table.ts";

/** A small table declared as the routes declare theirs. */
const table = new RoleTable([
  { method: "get", path: "/v1/accounts", access: "viewer" },
  { method: "post", path: "/v1/accounts/{id}/reset", access: "operator" },
  { method: "get", path: "/v1/keys", access: "admin" },
  { method: "post", path: "/v1/session", access: "self" },
]);

describe("the role table", () => {
  it("answers the declared role, GET's for HEAD, and admin for any route not declared", () => {
    expect(table.roleFor("GET", "/v1/accounts")).toBe("viewer");
    expect(table.roleFor("HEAD", "/v1/accounts")).toBe("viewer");
    expect(table.roleFor("POST", "/v1/accounts/:id/reset")).toBe("operator");
    expect(table.roleFor("GET", "/v1/keys")).toBe("admin");
    expect(table.roleFor("GET", "/v1/some-new-thing")).toBe("admin");
    expect(table.roleFor("PUT", "/v1/accounts")).toBe("admin");
  });

  it("keeps the routes that authenticate themselves apart, with no role", () => {
    expect([...table.selfAuthenticated]).toEqual(["POST /v1/session"]);
    expect(table.roles.has("POST /v1/session")).toBe(false);
  });

  it("refuses a route declared twice", () => {
    expect(
      () =>
        new RoleTable([
          { method: "get", path: "/v1/accounts/{id}", access: "viewer" },
          { method: "GET", path: "/v1/accounts/:id", access: "admin" },
        ]),
    ).toThrow("route declared twice: GET /v1/accounts/:id");
  });

  it("orders the roles viewer < operator < admin", () => {
    expect(roleAllows("admin", "operator")).toBe(true);
    expect(roleAllows("operator", "operator")).toBe(true);
    expect(roleAllows("viewer", "operator")).toBe(false);
    expect(roleAllows("operator", "admin")).toBe(false);
  });
});

describe("annotating the OpenAPI document", () => {
  it("writes each /v1 operation's role, admin when undeclared, and leaves other paths alone", () => {
    const doc = table.annotate({
      paths: {
        "/v1/accounts/{id}/reset": { post: { description: "Reset." } },
        "/v1/unlisted": { get: {} },
        "/health": { get: { security: [] } },
      },
    });
    expect(doc.paths["/v1/accounts/{id}/reset"]!.post).toEqual({
      description: "Reset.\n\nLeast role: `operator`.",
      "x-required-role": "operator",
      security: [{ bearerAuth: ["operator"] }],
    });
    expect(doc.paths["/v1/unlisted"]!.get).toMatchObject({ "x-required-role": "admin" });
    expect(doc.paths["/health"]!.get).toEqual({ security: [] });
    expect(openApiPath("/v1/webhooks/:id/deliveries/:message_id/retry")).toBe(
      "/v1/webhooks/{id}/deliveries/{message_id}/retry",
    );
    expect(honoPath("/v1/webhooks/{id}/deliveries/{message_id}/retry")).toBe(
      "/v1/webhooks/:id/deliveries/:message_id/retry",
    );
  });
});

describe("keys", () => {
  it("makes sk_ keys of 256 random bits, different each time", async () => {
    const a = generateKey();
    expect(a).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(generateKey()).not.toBe(a);
    expect(generateKey(() => new Uint8Array(32))).toBe(`sk_${"A".repeat(43)}`);
    expect(await sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("calls last_used_at stale when missing or more than a minute old", () => {
    const now = 1_000_000_000;
    expect(lastUsedIsStale(null, now)).toBe(true);
    expect(lastUsedIsStale(new Date(now - 60_000), now)).toBe(false);
    expect(lastUsedIsStale(new Date(now - 60_001), now)).toBe(true);
  });
});

describe("maskSecrets", () => {
  it("masks secret-named keys anywhere and the given secrets inside any string", () => {
    const session = "373386c4-8e54-4f2e-a2a3-5a1b1c2d3e4f";
    const masked = maskSecrets(
      {
        type: "AccountUpdate",
        session_id: session,
        data: {
          sessionId: session,
          token: "abcdefghij",
          url: `https://x/AccountSummary?id=${session}`,
        },
        list: [session, 5],
      },
      [session],
    );
    expect(masked).toEqual({
      type: "AccountUpdate",
      session_id: "3733...",
      data: { sessionId: "3733...", token: "abcd...", url: "https://x/AccountSummary?id=3733..." },
      list: ["3733...", 5],
    });
    expect(JSON.stringify(masked)).not.toContain(session);
  });

  it("keeps evidence self-contained: figures, at most 20 readings, masked cause", () => {
    const readings = Array.from({ length: 25 }, (_, i) => ({
      at: new Date(1_000 * (25 - i)).toISOString(),
      balance: 100,
      equity: 100 - i,
      usage: i,
      source: "poll",
    }));
    const ev = buildEvidence({
      rules: {} as never,
      rulesVersion: 3,
      metrics: {
        balance: 100,
        equity: 90,
        day_start: 100,
        hwm: 100,
        daily_floor: 95,
        max_floor: 90,
        usage: { daily: 200, max: 100, overall: 200 },
        trading_day: "2026-11-29",
        updated_at: "2026-11-29T06:00:00.000Z",
        source: "event",
      },
      readingsBefore: readings,
      cause: { kind: "event", event: { session_id: "secret-session-id" }, received_at: "x" },
    });
    expect(ev.readings_before).toHaveLength(20);
    expect(ev.figures).toMatchObject({
      equity: 90,
      daily_floor: 95,
      at: "2026-11-29T06:00:00.000Z",
    });
    expect(JSON.stringify(ev.cause)).not.toContain("secret-session-id");
  });
});

describe("eventCause", () => {
  it("keeps the Events message with the session masked, and when it arrived", () => {
    const session = "f00dfeed-0000-4000-8000-000000000001";
    const cause = eventCause(
      { type: "AccountUpdate", id: session, data: { equity: 94_900, balance: 100_000 } },
      session,
      Date.UTC(2026, 10, 29, 6, 0, 1, 234),
    );
    expect(cause).toEqual({
      kind: "event",
      event: { type: "AccountUpdate", id: "f00d...", data: { equity: 94_900, balance: 100_000 } },
      received_at: "2026-11-29T06:00:01.234Z",
    });
  });
});

describe("presentAudit", () => {
  it("derives action, actor and before/after of rows written before version 2", () => {
    const base = {
      id: 1,
      accountId: 7,
      at: new Date("2026-11-01T00:00:00Z"),
      action: null,
      actor: null,
      before: null,
      after: null,
    };
    expect(
      presentAudit({
        ...base,
        field: "status",
        fromValue: "active",
        toValue: "breached",
        reason: "breach",
        source: "event",
      }),
    ).toMatchObject({
      action: "account.breached",
      actor: "monitor",
      before: { status: "active" },
      after: { status: "breached" },
    });
    expect(
      presentAudit({
        ...base,
        field: "monitoring_state",
        fromValue: "polling",
        toValue: "live",
        reason: "x",
        source: "api",
      }),
    ).toMatchObject({ action: "account.live_forced", actor: "admin-token" });
    expect(
      presentAudit({
        ...base,
        field: "status",
        fromValue: "active",
        toValue: "disabled",
        reason: "x",
        source: "api",
      }),
    ).toMatchObject({ action: "account.disabled" });
  });
});
