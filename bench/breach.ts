/**
 * Breach latency: from a breaching event leaving the simulator to its violation row in Postgres.
 *
 * 200 live accounts in the band (daily usage 94%); K = 50 of them (quick: 20), one at a time,
 * get equity 94,900 (below the 95,000 daily floor) sent as a `pascal_id` event, whose
 * `timestampUTC` is the simulator's send time. The monitor applies it, puts the change in its
 * outbox, releases the account and flushes to Postgres.
 *
 * - `detected_at` is the event's own time (the send time) and `recorded_at` is Postgres `now()`
 *   in the writing transaction (the time the transaction started, a little before its commit);
 *   the simulator, this process and PGlite share one clock. recorded_at - detected_at is the
 *   figure the goal is about.
 * - "visible" is the same from this process's side: send time to the first poll (every 10 ms)
 *   that sees the row, so it includes the commit and up to 10 ms of polling.
 *
 *   node bench/breach.ts [--quick]
 */
import { sql } from "drizzle-orm";
import { fmt, note, percentile, quick, runBench, sleep } from "./common.ts";
import { BAND_EQUITY, BREACH_EQUITY, goLive } from "./fixtures.ts";
import { startStack, waitForSubscriptions } from "./stack.ts";

const BENCH = "breach";
const LIVE = 200;
const K = quick ? 20 : 50;
const GOAL_P99_MS = 500;
const ROW_TIMEOUT_MS = 10_000;

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH);
  const { accounts } = await goLive(stack, {
    tag: "breach",
    count: LIVE,
    already: 0,
    equity: BAND_EQUITY,
  });
  await sleep(1_000);
  const db = stack.db.db;

  const samples: Array<{
    account_id: number;
    db_ms: number;
    visible_ms: number;
    attempts: number;
  }> = [];
  let lost = 0;
  for (let i = 0; i < K; i++) {
    const account = accounts[i]!;
    let attempts = 0;
    let found: { db_ms: number } | null = null;
    let sentAt = 0;
    let seenAt = 0;
    while (!found && attempts < 3) {
      attempts++;
      // The link must be up and hold every account not breached yet.
      await waitForSubscriptions(stack.sim, LIVE - i, 30_000, 5);
      sentAt = Date.now();
      const res = await stack.control<{ sent: number }>(
        `/accounts/${encodeURIComponent(account.sessionId)}`,
        { equity: BREACH_EQUITY, emit: true, shape: "pascal_id" },
        "PATCH",
      );
      if (res.sent === 0) continue;
      const deadline = Date.now() + ROW_TIMEOUT_MS;
      while (Date.now() < deadline) {
        const r = await db.execute<{ db_ms: number }>(
          sql`select extract(epoch from (recorded_at - detected_at)) * 1000 as db_ms from violations where account_id = ${account.id} and rule = 'daily_loss'`,
        );
        if (r.rows.length) {
          seenAt = Date.now();
          found = { db_ms: Number(r.rows[0]!.db_ms) };
          break;
        }
        await sleep(10);
      }
      // An event sent while the link was going down is lost: put the equity back and retry.
      if (!found) {
        lost++;
        await stack.control(
          `/accounts/${encodeURIComponent(account.sessionId)}`,
          { equity: BAND_EQUITY, emit: false },
          "PATCH",
        );
      }
    }
    if (!found) throw new Error(`account ${account.id}: no violation after ${attempts} attempts`);
    samples.push({
      account_id: account.id,
      db_ms: found.db_ms,
      visible_ms: seenAt - sentAt,
      attempts,
    });
  }
  const dbMs = samples.map((s) => s.db_ms);
  const visible = samples.map((s) => s.visible_ms);
  const status = await stack.monitor();
  report.data.samples = samples;
  report.data.lost_events = lost;
  report.data.monitor_after = status;
  note(
    BENCH,
    `${K} breaches recorded; monitor holds ${status.subscriptions} subscriptions, ${status.connection.reconnects} reconnect(s) so far`,
  );

  const lostNote = lost ? `; ${lost} event(s) lost to a link drop and sent again` : "";
  report.figure(
    "breach.p50",
    percentile(dbMs, 0.5),
    "ms",
    `recorded_at - detected_at over ${K} breaches, ${LIVE} live accounts${lostNote}`,
  );
  report.figure("breach.p99", percentile(dbMs, 0.99), "ms", `max ${fmt(Math.max(...dbMs))} ms`, {
    op: "<",
    target: GOAL_P99_MS,
  });
  report.figure(
    "breach.visible_p50",
    percentile(visible, 0.5),
    "ms",
    "send time to the row seen by a 10 ms poll (commit included)",
  );
  report.figure(
    "breach.visible_p99",
    percentile(visible, 0.99),
    "ms",
    `max ${fmt(Math.max(...visible))} ms`,
  );
});
