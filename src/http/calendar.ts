/**
 * The economic calendar (docs/trades.md, "Calendar"): `GET /v1/calendar?from=&to=` (viewer),
 * `POST /v1/calendar` `{events, symbols}` and `POST /v1/calendar.csv` (`at,currency,impact,title`
 * rows), `DELETE /v1/calendar/{id}` (admin). The news rule reads it.
 */
import { z } from "@hono/zod-openapi";
import {
  deleteCalendarEvent,
  importCalendar,
  listCalendar,
  listSymbols,
} from "../accounts/calendar.ts";
import { CalendarInputSchema, parseCalendarCsv } from "../domain/trades/calendar.ts";
import { newApi } from "./api-env.ts";
import { apiRoute } from "./routes.ts";
import { badRequest, notFound } from "./errors.ts";
import { IdParamSchema, id, isoTime, queryTime } from "./schemas.ts";

const tags = ["calendar"];
const DAY_MS = 86_400_000;
/** The most events one `GET` answers. */
export const CALENDAR_PAGE = 5000;

const EventSchema = z
  .object({
    id: id(),
    at: isoTime(),
    currency: z.string(),
    impact: z.enum(["low", "medium", "high"]),
    title: z.string(),
  })
  .openapi("CalendarEvent");

const CalendarSchema = z
  .object({
    items: z.array(EventSchema),
    symbols: z.record(z.string(), z.array(z.string())).openapi({
      description: "Symbol -> currencies overrides of the news rule.",
    }),
  })
  .openapi("Calendar");

const ImportedSchema = z
  .object({ added: z.number().int(), symbols: z.number().int() })
  .openapi("CalendarImported");

const list = apiRoute({
  method: "get",
  path: "/calendar",
  role: "viewer",
  tags,
  summary: "Calendar events in a window (default: 7 days back to 30 ahead), oldest first",
  request: {
    query: z.object({
      from: queryTime().optional().openapi({ type: "string" }),
      to: queryTime().optional().openapi({ type: "string" }),
    }),
  },
  responses: {
    200: {
      description: "Events and symbol overrides",
      content: { "application/json": { schema: CalendarSchema } },
    },
  },
  errors: [400],
});

const post = apiRoute({
  method: "post",
  path: "/calendar",
  role: "admin",
  tags,
  summary: "Add calendar events (an event already there is kept) and symbol overrides",
  request: {
    body: { content: { "application/json": { schema: CalendarInputSchema } }, required: true },
  },
  responses: {
    200: {
      description: "What was added",
      content: { "application/json": { schema: ImportedSchema } },
    },
  },
  errors: [400, 415],
});

const postCsv = apiRoute({
  method: "post",
  path: "/calendar.csv",
  role: "admin",
  tags,
  summary: "Import calendar events from CSV rows at,currency,impact,title (a header row optional)",
  description: "A file with any bad row imports nothing: the answer names each bad line.",
  responses: {
    200: {
      description: "What was added",
      content: { "application/json": { schema: ImportedSchema } },
    },
  },
  errors: [400],
});

const remove = apiRoute({
  method: "delete",
  path: "/calendar/{id}",
  role: "admin",
  tags,
  summary: "Delete a calendar event",
  request: { params: IdParamSchema },
  responses: {
    204: { description: "Deleted" },
  },
  errors: [404],
});

export const calendarApi = newApi()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const now = Date.now();
    const from = q.from ?? new Date(now - 7 * DAY_MS);
    const to = q.to ?? new Date(now + 30 * DAY_MS);
    if (to < from) throw badRequest("to must not be before from");
    const rows = await listCalendar(c.var.db, from, to, CALENDAR_PAGE);
    return c.json(
      {
        items: rows.map((r) => ({
          id: Number(r.id),
          at: r.at.toISOString(),
          currency: r.currency,
          impact: r.impact,
          title: r.title,
        })),
        symbols: await listSymbols(c.var.db),
      },
      200,
    );
  })
  .openapi(post, async (c) => {
    const body = c.req.valid("json");
    return c.json(await importCalendar(c.var.db, body.events, body.symbols), 200);
  })
  .openapi(postCsv, async (c) => {
    const parsed = parseCalendarCsv(await c.req.text());
    if (!parsed.ok) {
      throw badRequest(
        "the CSV has bad rows; nothing was imported",
        parsed.errors.map((e) => ({ path: `line ${e.line}`, message: e.message })),
      );
    }
    return c.json(await importCalendar(c.var.db, parsed.events, {}), 200);
  })
  .openapi(remove, async (c) => {
    const { id: eventId } = c.req.valid("param");
    if (!(await deleteCalendarEvent(c.var.db, eventId))) throw notFound("calendar event", eventId);
    return c.body(null, 204);
  });
