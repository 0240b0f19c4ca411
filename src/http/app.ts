import { Hono } from "hono";
import { VERSION } from "../version.ts";

export const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.json({ ok: true, version: VERSION }));
