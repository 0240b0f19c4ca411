/**
 * `GET /v1/presets` (docs/rules.md, "Presets" and "Presets, version 2"): every named rule
 * preset with its full parameters (all but initial_balance, which is per account) and the
 * firms' convention it approximates. Read-only: a viewer may read it.
 */
import { z } from "@hono/zod-openapi";
import { apiRoute } from "./routes.ts";
import { PRESETS, PRESET_NAMES, PRESET_NOTES } from "../risk/index.ts";
import { newApi } from "./api-env.ts";

const PresetSchema = z
  .object({
    name: z.enum(PRESET_NAMES),
    description: z.string(),
    rules: z.record(z.string(), z.unknown()).openapi({
      description:
        "The preset's parameters (docs/rules.md), every field but initial_balance; any can be overridden.",
    }),
  })
  .openapi("Preset");

const PresetListSchema = z.object({ items: z.array(PresetSchema) }).openapi("PresetList");

const list = apiRoute({
  method: "get",
  path: "/",
  role: "viewer",
  tags: ["presets"],
  summary: "List the rule presets with their parameters",
  description: "Use one as `rules: { preset, initial_balance, ...overrides }` on an account.",
  errors: [],
  responses: {
    200: {
      description: "Every preset",
      content: { "application/json": { schema: PresetListSchema } },
    },
  },
});

export const presetsApi = newApi().openapi(list, (c) =>
  c.json(
    {
      items: PRESET_NAMES.map((name) => ({
        name,
        description: PRESET_NOTES[name],
        rules: structuredClone(PRESETS[name]) as Record<string, unknown>,
      })),
    },
    200,
  ),
);
