/**
 * The sweep lease: no two poll sweeps overlap (a cron tick, `POST /v1/poll` and a slow earlier
 * sweep would otherwise read and write the same accounts at once). One row per job name in
 * `sweep_lease`; taking it is a single `insert ... on conflict do update ... where expires_at
 * < now() returning`, so of two racing takers exactly one wins, without advisory locks (which
 * a pooled, per-query connection cannot hold). The holder renews it every
 * {@link SWEEP_LEASE_RENEW_S} while it runs and gives it back when done, over a fresh
 * connection with retries (the one it took the lease on may have died with a database
 * outage); a holder that dies, or cannot reach the database to give it back, lets it lapse
 * after {@link SWEEP_LEASE_S}, so a lost release costs at most one or two cron ticks.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";

/** The lease of the poll sweep. */
export const SWEEP_LEASE_NAME = "poll_sweep";
/** How long a lease lasts unless renewed or given back, in seconds. */
export const SWEEP_LEASE_S = 90;
/** The holder renews its lease this often while it runs, in seconds. */
export const SWEEP_LEASE_RENEW_S = 30;

/**
 * Takes the lease `name` for `holder`; true when taken, false while another holds it. Taking
 * it again as its holder extends it (a sweep retried after an outage, whose earlier take may
 * have landed unanswered).
 */
export async function takeLease(
  db: Db,
  holder: string,
  name = SWEEP_LEASE_NAME,
  seconds = SWEEP_LEASE_S,
): Promise<boolean> {
  const { rows } = await db.execute<{ holder: string }>(sql`
    insert into sweep_lease (name, holder, expires_at)
    values (${name}, ${holder}, now() + make_interval(secs => ${seconds}))
    on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where sweep_lease.expires_at < now() or sweep_lease.holder = excluded.holder
    returning holder`);
  return rows.length === 1 && rows[0]!.holder === holder;
}

/** Gives the lease back (only if `holder` still holds it). */
export async function releaseLease(db: Db, holder: string, name = SWEEP_LEASE_NAME) {
  await db.execute(
    sql`update sweep_lease set expires_at = now() - interval '1 second' where name = ${name} and holder = ${holder}`,
  );
}

/** Extends the lease `name` by `seconds` from now (only if `holder` still holds it). */
export async function renewLease(
  db: Db,
  holder: string,
  name = SWEEP_LEASE_NAME,
  seconds = SWEEP_LEASE_S,
): Promise<boolean> {
  const { rows } = await db.execute<{ holder: string }>(sql`
    update sweep_lease set expires_at = now() + make_interval(secs => ${seconds})
    where name = ${name} and holder = ${holder} and expires_at >= now()
    returning holder`);
  return rows.length === 1;
}
