/**
 * The console's and the trader page's API types (console/src/api-schema.ts,
 * console/trader/api-schema.ts) are generated from the document the app serves: this fails
 * while a committed file is behind the routes' schemas (run `npm run api-types`).
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  API_TYPES_FILE,
  TRADER_TYPES_FILE,
  apiTypesOf,
  servedDocument,
  traderDocument,
} from "../../../scripts/api-types.ts";

let doc: object;
beforeAll(async () => {
  doc = await servedDocument();
}, 60_000);

describe("the console's API types", () => {
  it("are the types of the OpenAPI document the app serves", async () => {
    expect(Object.keys((doc as { paths: object }).paths)).toContain("/v1/accounts");
    expect(readFileSync(API_TYPES_FILE, "utf8")).toBe(await apiTypesOf(doc));
  }, 60_000);

  it("name the shapes the console reads", () => {
    const text = readFileSync(API_TYPES_FILE, "utf8");
    for (const name of [
      "Account",
      "Session",
      "Violation",
      "Equity",
      "MonitorStatus",
      "RuleParams",
      "Trade",
      "AccountEnforcement",
      "EnforcementState",
    ])
      expect(text).toContain(`    ${name}: `);
  });
});

describe("the trader page's API types", () => {
  it("are the types of the shared routes of the document the app serves", async () => {
    expect(readFileSync(TRADER_TYPES_FILE, "utf8")).toBe(
      await apiTypesOf(traderDocument(doc), TRADER_TYPES_FILE),
    );
  }, 60_000);

  it("hold the shared routes and the schemas they use, nothing of the desk", () => {
    const part = traderDocument(doc) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(part.paths).sort()).toEqual([
      "/v1/shared/{token}",
      "/v1/shared/{token}/equity",
      "/v1/shared/{token}/trades",
      "/v1/shared/{token}/violations/{id}/report",
    ]);
    const names = Object.keys(part.components.schemas);
    for (const name of [
      "SharedAccount",
      "SharedEquity",
      "SharedTrades",
      "Trade",
      "BreachReport",
      "ObjectivesProgress",
    ])
      expect(names).toContain(name);
    for (const desk of ["Account", "Key", "AuditEntry", "Webhook", "Session"])
      expect(names).not.toContain(desk);
  });
});
