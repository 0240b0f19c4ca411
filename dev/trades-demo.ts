/**
 * The trades demo of `npm run dev` (docs/trades.md, "Demo"): one polled account with trade
 * rules, the sample calendar (dev/calendar-sample.csv) plus a high-impact JPY event two
 * minutes after start, and a script of orders on the simulator that, within about three
 * minutes, gives: a news violation (USDJPY opened inside the event's window), a position with
 * no stop loss, and three short holds whose third escalates to hard and fails the account.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { and, eq } from "drizzle-orm";
import { importCalendar } from "../src/accounts/calendar.ts";
import { withDb, type DbConfig } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import { parseCalendarCsv } from "../src/domain/trades/calendar.ts";
import { resolveRules } from "../src/risk/index.ts";
import type { SealKeys } from "../src/secrets/seal.ts";
import { storedSession } from "../src/secrets/session.ts";

export const TRADES_DEMO = {
  login: "90024001",
  server: "Demo-Trades",
  session_id: "demo-trades-session-0001",
  balance: 100_000,
};

const SAMPLE = fileURLToPath(new URL("./calendar-sample.csv", import.meta.url));

/** The demo's trade rules: soft by default, min hold escalating on the third. */
export const TRADES_DEMO_RULES = {
  stop_loss_required: { grace_s: 60 },
  min_hold_s: { seconds: 60, escalate_after: 3 },
  news: { window_min: 2, impact: "high" },
  max_open_positions: { limit: 10 },
};

/** The script: seconds after start, and what the simulator is told. */
export function tradesScript(
  startMs: number,
): Array<{ at_s: number; path: string; body: unknown }> {
  const open = (ticket: number, symbol: string, stopLoss: number) => ({
    path: "open",
    body: { ticket, symbol, orderType: "Buy", lots: 0.5, openPrice: 1, stopLoss },
  });
  const close = (ticket: number) => ({ path: "close", body: { ticket, profit: -12.5 } });
  const steps: Array<[number, { path: string; body: unknown }]> = [
    [5, open(24001, "EURUSD", 0)], // no stop loss: soft after 60 s
    [70, open(24002, "USDJPY.r", 150)], // inside the JPY event's window (event at +120 s): news
    [90, open(24003, "GBPUSD", 1.2)],
    [100, close(24003)], // held 10 s: min hold, soft
    [110, open(24004, "GBPUSD", 1.2)],
    [120, close(24004)], // soft
    [150, open(24005, "GBPUSD", 1.2)],
    [160, close(24005)], // the third: hard, the account fails
  ];
  void startMs;
  return steps.map(([at_s, s]) => ({ at_s, ...s }));
}

/**
 * Seeds the demo account (if missing), the sample calendar and an event two minutes ahead;
 * returns the event's time (epoch ms).
 */
export async function seedTradesDemo(
  config: DbConfig,
  nowMs: number,
  keys: SealKeys | null = null,
): Promise<number> {
  const resolved = resolveRules({
    preset: "ftmo-2step",
    initial_balance: TRADES_DEMO.balance,
    trade_rules: TRADES_DEMO_RULES,
  });
  if (!resolved.ok) throw new Error(`trades demo rules: ${JSON.stringify(resolved.issues)}`);
  const eventAt = Math.floor((nowMs + 120_000) / 1000) * 1000;
  const sample = parseCalendarCsv(readFileSync(SAMPLE, "utf8"));
  if (!sample.ok) throw new Error(`calendar-sample.csv: ${JSON.stringify(sample.errors)}`);
  await withDb(config, async (db) => {
    const have = await db
      .select({ id: accounts.id })
      .from(accounts)
      .where(
        and(eq(accounts.login, String(TRADES_DEMO.login)), eq(accounts.server, TRADES_DEMO.server)),
      );
    if (have.length === 0) {
      await db
        .insert(accounts)
        .values({
          login: TRADES_DEMO.login,
          server: TRADES_DEMO.server,
          // Sealed as the API stores tokens (docs/security.md, "Secrets at rest").
          ...(await storedSession(keys, TRADES_DEMO.session_id)),
          label: "Demo trades (soft, escalation, news)",
          preset: "ftmo-2step",
          rules: resolved.rules,
        })
        .onConflictDoNothing();
    }
    await importCalendar(
      db,
      [
        ...sample.events,
        {
          at: new Date(eventAt).toISOString(),
          currency: "JPY",
          impact: "high",
          title: "Demo: BoJ (2 min after start)",
        },
      ],
      { XAUUSD: ["USD"], US30: ["USD"] },
    );
  });
  return eventAt;
}

/**
 * Puts the demo account into the simulator and plays the script on its order endpoints.
 * Returns a stop function (clears the timers).
 */
export async function playTradesDemo(
  simUrl: string,
  log: (line: string) => void,
): Promise<() => void> {
  const post = async (path: string, body: unknown, method = "POST") => {
    const res = await fetch(`${simUrl}/control${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  };
  await post("/accounts", { ...TRADES_DEMO, walk: false });
  await post(`/orders/${TRADES_DEMO.session_id}`, { opened: [], history: [] }, "PUT");
  const timers = tradesScript(Date.now()).map((step) =>
    setTimeout(() => {
      post(`/orders/${TRADES_DEMO.session_id}/${step.path}`, step.body)
        .then(() => log(`trades demo: ${step.path} ${JSON.stringify(step.body)}`))
        .catch((err: unknown) => log(`trades demo: ${String(err)}`));
    }, step.at_s * 1000),
  );
  return () => timers.forEach(clearTimeout);
}
