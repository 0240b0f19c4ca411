/**
 * Generated, not hand-kept: the 401 sweep, the OpenAPI agreement and the role table's
 * derivation walk the app's own route table (Hono's `app.routes`), so a route added later is
 * covered without editing this file.
 */
import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { app, roleTable } from "../../../src/http/app.ts";
import { declaredRoutes } from "../../../src/http/routes.ts";
import { addToSim, api, createViaApi } from "./helpers.ts";

/** Every concrete operation the app routes, as `[METHOD, /path/:param]`. */
const OPERATIONS: Array<[method: string, path: string]> = [
  ...new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && (r.path.startsWith("/v1/") || r.path === "/health"))
      .map((r) => `${r.method} ${r.path}`),
  ),
].map((key) => key.split(" ") as [string, string]);

const V1 = OPERATIONS.filter(([, path]) => path.startsWith("/v1/"));
/** The /v1 operations behind auth (the console's sign-in and sign-out authenticate themselves). */
const AUTHED = V1.filter(([method, path]) => !roleTable.selfAuthenticated.has(`${method} ${path}`));

/** Fills every `:param` of a route path. */
function concrete(path: string, id: number | string): string {
  return path.replace(/:[A-Za-z_]+/g, String(id));
}

/** `/v1/accounts/:id` as OpenAPI names it: `/v1/accounts/{id}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, "{$1}");
}

type Json = Record<string, unknown>;

/** Inlines `#/components/schemas/...` references so that a schema stands alone. */
function deref(schema: unknown, components: Record<string, unknown>, depth = 0): unknown {
  if (depth > 50 || schema === null || typeof schema !== "object") return schema;
  if (Array.isArray(schema)) return schema.map((s) => deref(s, components, depth + 1));
  const ref = (schema as Json).$ref;
  if (typeof ref === "string") {
    const name = ref.replace("#/components/schemas/", "");
    return deref(components[name], components, depth + 1);
  }
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, deref(v, components, depth + 1)]),
  );
}

describe("the route table", () => {
  it("holds the /v1 operations the tests below walk", () => {
    expect(V1.length).toBeGreaterThanOrEqual(14);
  });

  it("derives its role table from the route declarations: every /v1 route declared once, nothing else", () => {
    const routed = V1.map(([m, p]) => `${m} ${p}`).sort();
    const derived = [...roleTable.roles.keys(), ...roleTable.selfAuthenticated].sort();
    expect(derived).toEqual(routed);
    // One declaration per operation, each with its access (a role, or `self` for the session).
    const declared = declaredRoutes(app);
    expect(declared).toHaveLength(V1.length);
    expect(new Set(declared.map((d) => d.access))).toEqual(
      new Set(["viewer", "operator", "admin", "self"]),
    );
    expect([...roleTable.selfAuthenticated].sort()).toEqual([
      "DELETE /v1/session",
      "GET /v1/session",
      "GET /v1/shared/:token",
      "GET /v1/shared/:token/equity",
      "GET /v1/shared/:token/trades",
      "GET /v1/shared/:token/violations/:id/report",
      "POST /v1/session",
    ]);
  });

  it.each(AUTHED)("answers 401 to %s %s without a token", async (method, path) => {
    const json = ["POST", "PATCH", "PUT"].includes(method) ? {} : undefined;
    const res = await api(method, concrete(path, 1), { json, token: null });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "unauthorized" } });
  });

  it.each(AUTHED)("answers 401 to %s %s with a wrong token", async (method, path) => {
    const json = ["POST", "PATCH", "PUT"].includes(method) ? {} : undefined;
    const res = await api(method, concrete(path, 1), { json, token: "test-admin-tokeN" });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("and the OpenAPI document list the same operations", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).body;
    const documented = Object.entries(doc.paths as Record<string, Json>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const routed = OPERATIONS.map(([m, p]) => `${m} ${openApiPath(p)}`).sort();
    expect(routed).toEqual(documented);
  });

  it("answers every operation with a status and a body its OpenAPI document declares", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).body;
    const components = doc.components.schemas as Record<string, unknown>;
    const created = await createViaApi();
    await addToSim(created, { balance: 100_000 });
    // Deletes last, so that the account is there for the others.
    const ordered = [...OPERATIONS].sort(
      ([a], [b]) => Number(a === "DELETE") - Number(b === "DELETE"),
    );
    for (const [method, path] of ordered) {
      const json = ["POST", "PATCH", "PUT"].includes(method) ? {} : undefined;
      const res = await api(method, concrete(path, created.account.id), { json });
      const what = `${method} ${path} -> ${res.status}`;
      const op = doc.paths[openApiPath(path)][method.toLowerCase()];
      const declared = op.responses[String(res.status)];
      expect(declared, what).toBeDefined();
      if (typeof res.body === "string") {
        // A non-JSON answer (the CSV exports): its media type is the one declared.
        const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
        expect(Object.keys(declared.content ?? {}), `${what}: ${type}`).toContain(type);
        continue;
      }
      const schema = declared.content?.["application/json"]?.schema;
      if (res.body === null) {
        expect(schema, `${what}: empty body`).toBeUndefined();
        continue;
      }
      expect(schema, what).toBeDefined();
      const validator = z.fromJSONSchema(deref(schema, components) as never);
      const parsed = validator.safeParse(res.body);
      expect(parsed.success, `${what}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });
});
