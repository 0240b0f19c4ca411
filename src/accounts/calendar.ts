/**
 * SQL of the economic calendar (docs/trades.md, "Calendar"): events stored once per (at,
 * currency, title), listed by time, deleted by id; symbol overrides upserted.
 */
import { and, asc, eq, gte, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { calendarEvents, calendarSymbols, type CalendarEventRow } from "../db/schema.ts";
import type { CalendarEventInput } from "../domain/trades/calendar.ts";

/** Stores events (an event already there is kept) and symbol overrides; returns counts. */
export async function importCalendar(
  db: Db,
  events: readonly CalendarEventInput[],
  symbols: Readonly<Record<string, string[]>>,
): Promise<{ added: number; symbols: number }> {
  return db.transaction(async (tx) => {
    let added = 0;
    for (let i = 0; i < events.length; i += 1000) {
      const part = events.slice(i, i + 1000).map((e) => ({
        at: new Date(e.at),
        currency: e.currency,
        impact: e.impact,
        title: e.title,
      }));
      const rows = await tx
        .insert(calendarEvents)
        .values(part)
        .onConflictDoNothing()
        .returning({ id: calendarEvents.id });
      added += rows.length;
    }
    const entries = Object.entries(symbols);
    if (entries.length > 0) {
      await tx
        .insert(calendarSymbols)
        .values(
          entries.map(([symbol, currencies]) => ({ symbol: symbol.toUpperCase(), currencies })),
        )
        .onConflictDoUpdate({
          target: calendarSymbols.symbol,
          set: { currencies: sql`excluded.currencies`, updatedAt: new Date() },
        });
    }
    return { added, symbols: entries.length };
  });
}

/** Events in [from, to], oldest first, at most `limit`. */
export async function listCalendar(
  db: Db,
  from: Date,
  to: Date,
  limit: number,
): Promise<CalendarEventRow[]> {
  return db
    .select()
    .from(calendarEvents)
    .where(and(gte(calendarEvents.at, from), lte(calendarEvents.at, to)))
    .orderBy(asc(calendarEvents.at), asc(calendarEvents.id))
    .limit(limit);
}

/** Every symbol override. */
export async function listSymbols(db: Db): Promise<Record<string, string[]>> {
  const rows = await db.select().from(calendarSymbols).orderBy(asc(calendarSymbols.symbol));
  return Object.fromEntries(rows.map((r) => [r.symbol, r.currencies]));
}

/** Deletes one event; false when there was none. */
export async function deleteCalendarEvent(db: Db, id: number): Promise<boolean> {
  const rows = await db
    .delete(calendarEvents)
    .where(eq(calendarEvents.id, id))
    .returning({ id: calendarEvents.id });
  return rows.length > 0;
}
