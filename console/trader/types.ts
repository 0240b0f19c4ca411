/**
 * The shapes of the shared (trader) API answers (docs/trader-page.md), named from the types
 * generated off the app's own /openapi.json (api-schema.ts here, the shared routes only;
 * `npm run api-types`): nothing here restates a field, so a change to a shared route's schema
 * reaches the trader page's type check.
 */
import type { components } from "./api-schema.ts";

type Schemas = components["schemas"];

export type SharedAccount = Schemas["SharedAccount"];
/** One loss rule as the trader sees it: floor, distance, usage, the rule in words. */
export type FloorView = SharedAccount["floors"][number];
export type RuleName = FloorView["rule"];
export type SharedViolation = SharedAccount["violations"][number];
/** Objectives progress (null without objectives). */
export type ObjectivesProgress = Schemas["ObjectivesProgress"];
/** One point of `GET /v1/shared/{token}/equity`. */
export type SharedPoint = Schemas["SharedEquity"]["items"][number];
/** One trade of `GET /v1/shared/{token}/trades` (the desk's shape). */
export type SharedTrade = Schemas["SharedTrades"]["items"][number];
export type BreachReport = Schemas["BreachReport"];
export type FloorStep = BreachReport["floor"]["steps"][number];
