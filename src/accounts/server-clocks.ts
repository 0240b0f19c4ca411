/**
 * Learnt broker server offsets in Postgres (docs/trades.md, "Broker time"): the live monitor
 * learns a server's clock from its event stamps (src/live/core/server-time.ts) and hands the
 * offset over with each order event; the trades side stores it per server here, so the poll
 * path converts order times of every account on that server by it too.
 */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { serverClocks } from "../db/schema.ts";

/** The learnt offsets (minutes east of UTC) of `servers`, by server; unknown ones absent. */
export async function learntOffsets(
  db: Db,
  servers: readonly string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const wanted = [...new Set(servers)];
  if (wanted.length === 0) return out;
  const rows = await db
    .select({ server: serverClocks.server, offset: serverClocks.offsetMinutes })
    .from(serverClocks)
    .where(inArray(serverClocks.server, wanted));
  for (const r of rows) out[r.server] = r.offset;
  return out;
}

/**
 * Stores a server's learnt offset (whole minutes within ±14 h; anything else is not stored).
 * A changed offset (a daylight-saving change) replaces the old one; the same one writes nothing.
 */
export async function rememberOffset(db: Db, server: string, minutes: number): Promise<boolean> {
  if (!Number.isInteger(minutes) || Math.abs(minutes) > 14 * 60 || server === "") return false;
  const result = await db.execute(sql`
    insert into ${serverClocks} (server, offset_minutes) values (${server}, ${minutes})
    on conflict (server) do update set offset_minutes = excluded.offset_minutes, learnt_at = now()
    where ${serverClocks.offsetMinutes} <> excluded.offset_minutes`);
  return (result.rowCount ?? 0) > 0;
}
