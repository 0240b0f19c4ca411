/**
 * The console's API types (console/src/api-schema.ts) are generated from the document the app
 * serves: this fails while the committed file is behind the routes' schemas (run
 * `npm run api-types`).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { API_TYPES_FILE, apiTypesOf, servedDocument } from "../../../scripts/api-types.ts";

describe("the console's API types", () => {
  it("are the types of the OpenAPI document the app serves", async () => {
    const doc = await servedDocument();
    expect(Object.keys((doc as { paths: object }).paths)).toContain("/v1/accounts");
    expect(readFileSync(API_TYPES_FILE, "utf8")).toBe(await apiTypesOf(doc));
  }, 60_000);

  it("name the shapes the console reads", () => {
    const text = readFileSync(API_TYPES_FILE, "utf8");
    for (const name of ["Account", "Session", "Violation", "Equity", "MonitorStatus", "RuleParams"])
      expect(text).toContain(`    ${name}: `);
  });
});
