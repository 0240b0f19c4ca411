/**
 * The enforcement scene of `npm run dev` (docs/enforcement.md, "Demo"; E18): one scripted
 * account (sim/demo-script.ts `enforcementScene`) with two positions and a pending order, its
 * rules' consequence `close_all_and_lock` and its `enforcement` on (the only demo account with
 * enforcement on; dev runs `ENFORCEMENT=on` with the bundled simulator). It goes live, breaches
 * by an event, and its monitor shard closes both positions and cancels the order; a few
 * seconds after, a position is opened on the locked account and closed at once from its
 * order event.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import { archiveAccount } from "../src/accounts/archive.ts";
import { withDb, type DbConfig } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import { ENFORCEMENT_DEMO } from "../sim/demo-script.ts";

/** The account's open orders at the start: two positions and a pending order. */
export const ENFORCEMENT_DEMO_ORDERS = [
  { ticket: 18001, symbol: "EURUSD", orderType: "Buy", lots: 1, openPrice: 1.1, profit: -2_500 },
  { ticket: 18002, symbol: "GBPUSD", orderType: "Sell", lots: 2, openPrice: 1.3, profit: -2_000 },
  { ticket: 18003, symbol: "EURUSD", orderType: "BuyLimit", lots: 1, openPrice: 1.05, profit: 0 },
];
/** The position opened while the account is locked. */
export const LOCKED_TICKET = 18004;
/** Seconds after the breach's closes that it is opened. */
const OPEN_AFTER_S = 5;

/**
 * Before the demo is seeded: the scene's account from a previous start is deleted (archived:
 * its violations and actions stay on record under its id), so a new one is seeded and its
 * breach is recorded, and acted on, again: a breach is recorded once per account, rule and
 * period (docs/rules.md), `max_loss` once for good.
 */
export async function clearEnforcementDemo(config: DbConfig): Promise<void> {
  await withDb(config, async (db) => {
    const rows = await db
      .select({ id: accounts.id })
      .from(accounts)
      .where(
        and(
          eq(accounts.login, ENFORCEMENT_DEMO.login),
          eq(accounts.server, ENFORCEMENT_DEMO.server),
          ne(accounts.status, "deleted"),
        ),
      );
    for (const r of rows)
      await archiveAccount(db, r.id, {
        actor: "dev",
        reason: "npm run dev: the enforcement scene plays again",
      });
  });
}

/** After the demo is seeded: the scene's account closes all and locks on a breach, enforcement on. */
export async function enforceDemoAccount(config: DbConfig): Promise<void> {
  await withDb(config, (db) =>
    db
      .update(accounts)
      .set({
        enforcement: "on",
        rules: sql`${accounts.rules} || '{"consequences": {"default": "close_all_and_lock"}}'::jsonb`,
      })
      .where(
        and(
          eq(accounts.login, ENFORCEMENT_DEMO.login),
          eq(accounts.server, ENFORCEMENT_DEMO.server),
          ne(accounts.status, "deleted"),
        ),
      ),
  );
}

interface CloseCounts {
  sends: Record<string, number>;
  sends_to_closed: number;
}

/**
 * Gives the account its orders in the simulator, then watches its closes: once the breach's
 * three are sent, opens a position on the locked account and tells when it is closed.
 * Returns a stop function.
 */
export async function playEnforcementDemo(
  simUrl: string,
  log: (line: string) => void,
): Promise<() => void> {
  const control = async <T>(path: string, body?: unknown, method = "POST"): Promise<T> => {
    const res = await fetch(`${simUrl}/control${path}`, {
      method: body === undefined ? "GET" : method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const sid = ENFORCEMENT_DEMO.session_id;
  await control(`/orders/${sid}`, { opened: ENFORCEMENT_DEMO_ORDERS, history: [] }, "PUT");
  let phase: "breach" | "opening" | "locked" | "done" = "breach";
  const timer = setInterval(() => {
    control<CloseCounts>(`/close/${sid}`)
      .then((c) => {
        const sent = (t: number) => (c.sends[String(t)] ?? 0) > 0;
        if (phase === "breach" && ENFORCEMENT_DEMO_ORDERS.every((o) => sent(o.ticket))) {
          phase = "opening";
          log(`enforcement demo: the breach closed ${ENFORCEMENT_DEMO_ORDERS.length} orders`);
          setTimeout(() => {
            control(`/orders/${sid}/open`, {
              ticket: LOCKED_TICKET,
              symbol: "EURUSD",
              orderType: "Buy",
              lots: 1,
              openPrice: 1.1,
            })
              .then(() => {
                phase = "locked";
                log(`enforcement demo: opened ${LOCKED_TICKET} on the locked account`);
              })
              .catch((err: unknown) => log(`enforcement demo: ${String(err)}`));
          }, OPEN_AFTER_S * 1000);
        } else if (phase === "locked" && sent(LOCKED_TICKET)) {
          phase = "done";
          log(`enforcement demo: ${LOCKED_TICKET} closed while locked`);
          clearInterval(timer);
        }
      })
      .catch(() => {});
  }, 1_000);
  return () => clearInterval(timer);
}
