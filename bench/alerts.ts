/**
 * Alerts: from a breaching event leaving the simulator to the `violation.recorded` webhook
 * arriving at a receiver, with 50 endpoints registered of which 10 never answer (each attempt
 * to them times out after 10 s).
 *
 * 200 live accounts in the band; one at a time (quick: 50), an account gets equity 94,900 as a
 * `pascal_id` event. The live monitor records the violation and its outbox message in one
 * transaction and nudges the alert queue; the consumer forwards the message (50 deliveries)
 * and delivers them. The receiver (dev/webhook-sink.ts, in this process) notes each arrival;
 * the next breach is sent once the 40 healthy endpoints have it. Latency = arrival - send time
 * (one clock; the receiver runs in its own thread, bench/sink-thread.ts). The dead endpoints are warmed up first (a `webhook.test` each, timed out), as in
 * steady state where a dead endpoint is known to be failing: its deliveries then go to the
 * slow lane. The first timeout of a newly dead endpoint holds the first lane once (docs/alerts.md, "Delivery").
 *
 *   node bench/alerts.ts [--quick]
 */
import { sql } from "drizzle-orm";
import type { Received } from "../dev/webhook-sink.ts";
import { fmt, note, percentile, quick, runBench, sleep } from "./common.ts";
import { BAND_EQUITY, BREACH_EQUITY, goLive } from "./fixtures.ts";
import { startSinkThread } from "./sink-thread.ts";
import { startStack, waitForSubscriptions } from "./stack.ts";

const BENCH = "alerts";
const LIVE = 200;
const K = quick ? 50 : 200;
const ENDPOINTS = 50;
const DEAD = 10;
const GOAL_P99_MS = 250;
const WAIT_MS = 15_000;

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH, { vars: { ALLOW_LOOPBACK_WEBHOOKS: "1" } });
  /** account id -> hook -> arrival (epoch ms) of its violation.recorded. */
  const arrivals = new Map<number, Map<string, number>>();
  let verified = 0;
  const onDelivery = (r: Received) => {
    if (r.verified) verified++;
    try {
      const body = JSON.parse(r.body) as { type: string; data: { account?: { id: number } } };
      if (body.type !== "violation.recorded" || !body.data.account) return;
      const id = body.data.account.id;
      let m = arrivals.get(id);
      if (!m) arrivals.set(id, (m = new Map()));
      if (!m.has(r.hook)) m.set(r.hook, r.at);
    } catch {
      // not ours
    }
  };
  const sink = await startSinkThread(onDelivery);
  const healthy: string[] = [];
  const endpointIds: number[] = [];
  const deadIds: number[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const dead = i < DEAD;
    const hook = dead ? `dead-${i}` : `ok-${i}`;
    await sink.configure(hook, { then: dead ? "hang" : 200 });
    const created = await stack.admin<{ id: number; secret: string }>("/v1/webhooks", {
      body: { url: sink.hookUrl(hook), events: ["violation.recorded", "webhook.test"] },
    });
    await sink.configure(hook, { secret: created.secret });
    endpointIds.push(created.id);
    if (dead) deadIds.push(created.id);
    else healthy.push(hook);
  }

  const { accounts } = await goLive(stack, {
    tag: "alerts",
    count: LIVE,
    already: 0,
    equity: BAND_EQUITY,
  });

  // Warm-up: every endpoint gets a test message; the dead ones time out and become failing.
  for (const id of endpointIds)
    await stack.admin(`/v1/webhooks/${id}/test`, { method: "POST", body: {} });
  const warmStarted = Date.now();
  for (;;) {
    const list = await stack.admin<{ items: Array<{ id: number; failing_since: string | null }> }>(
      "/v1/webhooks",
    );
    const failing = list.items.filter((e) => e.failing_since).length;
    if (failing >= DEAD) break;
    if (Date.now() - warmStarted > 60_000)
      throw new Error(`only ${failing} of ${DEAD} dead endpoints failing after 60 s`);
    await sleep(250);
  }
  note(BENCH, `warm-up: ${DEAD} dead endpoints failing after ${fmt(Date.now() - warmStarted)} ms`);

  const perDelivery: number[] = [];
  const perBreachLast: number[] = [];
  let missing = 0;
  for (let i = 0; i < K; i++) {
    const account = accounts[i]!;
    await waitForSubscriptions(stack.sim, LIVE - i, 30_000, 5);
    const sentAt = Date.now();
    const res = await stack.control<{ sent: number }>(
      `/accounts/${encodeURIComponent(account.sessionId)}`,
      { equity: BREACH_EQUITY, emit: true, shape: "pascal_id" },
      "PATCH",
    );
    if (res.sent === 0) throw new Error(`breach ${i}: the simulator had no connection to send on`);
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline && (arrivals.get(account.id)?.size ?? 0) < healthy.length)
      await sleep(2);
    const got = arrivals.get(account.id) ?? new Map<string, number>();
    missing += healthy.filter((h) => !got.has(h)).length;
    const lat = healthy.filter((h) => got.has(h)).map((h) => got.get(h)! - sentAt);
    perDelivery.push(...lat);
    if (lat.length) perBreachLast.push(Math.max(...lat));
  }
  const attempts = await stack.db.db.execute<{ outcome: string; timeouts: number; n: number }>(sql`
    select outcome, count(*) filter (where error like 'timeout%')::int as timeouts, count(*)::int as n
    from webhook_attempts group by outcome order by outcome`);
  report.data.attempts = attempts.rows;
  // Where the time goes: event -> violation committed (with its outbox message), and message
  // committed -> first attempt started (nudge, forward, queue hop, delivery read).
  const stages = await stack.db.db.execute<{
    commit_p50: number;
    commit_p99: number;
    send_p50: number;
    send_p99: number;
  }>(sql`
    with v as (
      select extract(epoch from (recorded_at - detected_at)) * 1000 as ms from violations
    ), s as (
      select extract(epoch from (min(a.at) - m.created_at)) * 1000 as ms
      from webhook_messages m join webhook_attempts a on a.message_id = m.id
      where m.type = 'violation.recorded' group by m.id, m.created_at
    )
    select (select percentile_cont(0.5) within group (order by ms) from v) as commit_p50,
           (select percentile_cont(0.99) within group (order by ms) from v) as commit_p99,
           (select percentile_cont(0.5) within group (order by ms) from s) as send_p50,
           (select percentile_cont(0.99) within group (order by ms) from s) as send_p99`);
  const st = stages.rows[0]!;
  const durations = await stack.db.db.execute<{ p50: number; p99: number }>(sql`
    select percentile_cont(0.5) within group (order by duration_ms) as p50,
           percentile_cont(0.99) within group (order by duration_ms) as p99
    from webhook_attempts where outcome = 'delivered'`);
  const du = durations.rows[0]!;
  report.data.samples = perBreachLast;
  await sink.close();

  note(
    BENCH,
    `${K} breaches, ${perDelivery.length} healthy deliveries (${missing} missing after ${WAIT_MS / 1000} s), ${verified} verified signatures; attempts by outcome: ${JSON.stringify(attempts.rows)}`,
  );
  report.figure(
    "alerts.p50",
    percentile(perDelivery, 0.5),
    "ms",
    `event sent -> webhook received, ${K} breaches x ${healthy.length} healthy endpoints (${DEAD} more time out)`,
  );
  report.figure(
    "alerts.p99",
    percentile(perDelivery, 0.99),
    "ms",
    `max ${fmt(Math.max(...perDelivery))} ms`,
    { op: "<", target: GOAL_P99_MS },
  );
  report.figure(
    "alerts.last_endpoint_p99",
    percentile(perBreachLast, 0.99),
    "ms",
    "per breach, until the last of the healthy endpoints had it",
  );
  report.figure("alerts.missing", missing, "deliveries", "healthy deliveries not received in 15 s");
  report.figure(
    "alerts.stage.commit_p50",
    Number(st.commit_p50),
    "ms",
    `event -> violation and its message committed (p99 ${fmt(Number(st.commit_p99))} ms)`,
  );
  report.figure(
    "alerts.stage.to_first_attempt_p50",
    Number(st.send_p50),
    "ms",
    `message committed -> its first attempt starts (p99 ${fmt(Number(st.send_p99))} ms)`,
  );
  report.figure(
    "alerts.stage.attempt_p50",
    Number(du.p50),
    "ms",
    `one successful attempt as the Worker timed it, 40 in flight per batch (p99 ${fmt(Number(du.p99))} ms)`,
  );
});
