/**
 * The trades demo of `npm run dev` (docs/trades.md, "Demo"): one polled account with trade
 * rules, the sample calendar (dev/calendar-sample.csv) plus a high-impact JPY event a minute
 * after start, a weekend cutoff set to the first whole minute at least 20 s after start, and a
 * script of orders on the simulator that, within about a minute and a half, gives: a position
 * with no stop loss, one opened inside the JPY event's window, both held over the cutoff, and
 * three positions closed after 10 s whose third escalates to hard and fails the account (it
 * closes after the cutoff, so everything before it is on record when the account fails).
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

/** The account's label (the demo test finds it by this). */
export const TRADES_DEMO_LABEL = "Demo trades (soft, escalation, news)";

const SAMPLE = fileURLToPath(new URL("./calendar-sample.csv", import.meta.url));

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/** What the demo of a run started at `startMs` plays. */
export interface TradesDemoPlan {
  /** The account's trade rules: soft by default, min hold escalating on the third. */
  rules: Record<string, unknown>;
  /** The JPY event's time (epoch ms). */
  eventAtMs: number;
  /** The weekend cutoff's instant (epoch ms, a whole UTC minute). */
  cutoffMs: number;
  /** Seconds after start, and what the simulator is told. */
  script: Array<{ at_s: number; path: string; body: unknown }>;
}

/** The plan of a run started at `startMs` (epoch ms). */
export function tradesDemoPlan(startMs: number): TradesDemoPlan {
  const cutoffMs = Math.ceil((startMs + 20_000) / 60_000) * 60_000;
  const cutoff = new Date(cutoffMs);
  const hhmm = cutoff.toISOString().slice(11, 16);
  const rules = {
    stop_loss_required: { grace_s: 20 },
    min_hold_s: { seconds: 30, escalate_after: 3 },
    news: { window_min: 2, impact: "high" },
    weekend_flat: { cutoff: `${WEEKDAYS[cutoff.getUTCDay()]} ${hhmm}`, timezone: "UTC" },
    max_open_positions: { limit: 10 },
  };
  const open = (ticket: number, symbol: string, stopLoss: number) => ({
    path: "open",
    body: { ticket, symbol, orderType: "Buy", lots: 0.5, openPrice: 1, stopLoss },
  });
  const close = (ticket: number) => ({ path: "close", body: { ticket, profit: -12.5 } });
  // Three holds of 10 s, 2 s apart from 6 s on; none spans the cutoff (a position open at it
  // would be a weekend violation too), and the third opens after it, so it closes last.
  const cutoffS = Math.ceil((cutoffMs - startMs) / 1000);
  const holds: number[] = [];
  let t = 6;
  for (let i = 0; i < 3; i++) {
    if ((t <= cutoffS && cutoffS <= t + 10) || (i === 2 && t <= cutoffS)) t = cutoffS + 1;
    holds.push(t);
    t += 12;
  }
  const steps: Array<[number, { path: string; body: unknown }]> = [
    [2, open(24001, "EURUSD", 0)], // no stop loss: soft after 20 s; held over the cutoff
    [4, open(24002, "USDJPY.r", 150)], // inside the JPY event's window (event at +60 s); held over the cutoff
    ...holds.flatMap((at, i): Array<[number, { path: string; body: unknown }]> => [
      [at, open(24003 + i, "GBPUSD", 1.2)],
      // Closed after 10 s: min hold, soft, soft, then hard: the account fails.
      [at + 10, close(24003 + i)],
    ]),
  ];
  return {
    rules,
    eventAtMs: Math.floor((startMs + 60_000) / 1000) * 1000,
    cutoffMs,
    script: steps.map(([at_s, step]) => ({ at_s, ...step })),
  };
}

/**
 * Seeds the demo account (if missing: a data folder's first run), the sample calendar and
 * the plan's JPY event; returns the event's time (epoch ms).
 */
export async function seedTradesDemo(
  config: DbConfig,
  startMs: number,
  keys: SealKeys | null = null,
): Promise<number> {
  const plan = tradesDemoPlan(startMs);
  const resolved = resolveRules({
    preset: "ftmo-2step",
    initial_balance: TRADES_DEMO.balance,
    trade_rules: plan.rules,
  });
  if (!resolved.ok) throw new Error(`trades demo rules: ${JSON.stringify(resolved.issues)}`);
  const eventAt = plan.eventAtMs;
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
          label: TRADES_DEMO_LABEL,
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
          title: "Demo: BoJ (1 min after start)",
        },
      ],
      { XAUUSD: ["USD"], US30: ["USD"] },
    );
  });
  return eventAt;
}

/**
 * Puts the demo account into the simulator and plays the plan of `startMs` on its order
 * endpoints, each step at its second after `startMs`. Returns a stop function (clears the timers).
 */
export async function playTradesDemo(
  simUrl: string,
  log: (line: string) => void,
  startMs: number = Date.now(),
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
  const timers = tradesDemoPlan(startMs).script.map((step) =>
    setTimeout(
      () => {
        post(`/orders/${TRADES_DEMO.session_id}/${step.path}`, step.body)
          .then(() => log(`trades demo: ${step.path} ${JSON.stringify(step.body)}`))
          .catch((err: unknown) => log(`trades demo: ${String(err)}`));
      },
      Math.max(0, startMs + step.at_s * 1000 - Date.now()),
    ),
  );
  return () => timers.forEach(clearTimeout);
}
