/**
 * The poll sweep at scale (the issue: 10,000 accounts in < 60 s with 50 ms REST latency).
 *
 * 10,000 polling accounts (quick: 1,000) in Postgres and the simulator, equity at balance so
 * nobody goes live; every MTAPI answer delayed 50 ms; the cron fired once with
 * POLL_INLINE_MAX=100, so the sweep fans out through the Queue (batches of 50 ids). Timed
 * from the cron to the moment every account carries metrics from this sweep
 * (`metrics->>'updated_at' >= start`, polled in Postgres every 250 ms).
 *
 *   node bench/sweep.ts [--quick]
 */
import { sql } from "drizzle-orm";
import { fmt, median, note, quick, runBench, sleep } from "./common.ts";
import { createAccounts, countAccounts, INITIAL_BALANCE } from "./fixtures.ts";
import { startStack } from "./stack.ts";

const BENCH = "sweep";
const ACCOUNTS = quick ? 1_000 : 10_000;
const REST_DELAY_MS = 50;
const INLINE_MAX = 100;
const TIMEOUT_MS = quick ? 90_000 : 240_000;
const GOAL_S = 60;

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH, { pollInlineMax: INLINE_MAX });
  const t0 = Date.now();
  await createAccounts(stack, {
    tag: "sweep",
    count: ACCOUNTS,
    monitoring: "polling",
    equity: INITIAL_BALANCE,
  });
  note(
    BENCH,
    `${ACCOUNTS} accounts in Postgres and the simulator in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  await stack.control("/delay", { ms: REST_DELAY_MS });
  const restBefore = (await stack.sim.state()).rest.requests;

  const start = Date.now();
  const startAt = new Date(start);
  const swept = sql`(metrics->>'updated_at')::timestamptz >= ${startAt.toISOString()}::timestamptz`;
  await stack.worker.fireCron();
  const cronMs = Date.now() - start;
  note(BENCH, `cron returned after ${cronMs} ms; waiting for ${ACCOUNTS} accounts`);

  let done = 0;
  let firstDoneMs: number | null = null;
  const progress: Array<[number, number]> = [];
  let lastNote = start;
  for (;;) {
    done = await countAccounts(stack.db.db, swept);
    const elapsed = Date.now() - start;
    if (done > 0 && firstDoneMs === null) firstDoneMs = elapsed;
    if (progress.length === 0 || progress[progress.length - 1]![1] !== done)
      progress.push([elapsed, done]);
    if (done >= ACCOUNTS || elapsed > TIMEOUT_MS) break;
    if (Date.now() - lastNote > 10_000) {
      lastNote = Date.now();
      note(BENCH, `${done}/${ACCOUNTS} after ${(elapsed / 1000).toFixed(0)} s`);
    }
    await sleep(250);
  }
  const seconds = (Date.now() - start) / 1000;
  const complete = done >= ACCOUNTS;
  const restRequests = (await stack.sim.state()).rest.requests - restBefore;
  const live = await countAccounts(stack.db.db, sql`monitoring_state = 'live'`);
  const problems = await countAccounts(stack.db.db, sql`problem is not null`);

  report.data.accounts = ACCOUNTS;
  report.data.rest_delay_ms = REST_DELAY_MS;
  report.data.poll_inline_max = INLINE_MAX;
  report.data.cron_ms = cronMs;
  report.data.first_account_ms = firstDoneMs;
  report.data.progress = progress;
  report.data.swept = done;
  report.data.live_after = live;
  report.data.problems_after = problems;

  report.figure(
    "sweep.duration",
    complete ? seconds : null,
    "s",
    complete
      ? `${ACCOUNTS} accounts via the Queue, REST delay ${REST_DELAY_MS} ms, cron ${cronMs} ms, first account at ${fmt((firstDoneMs ?? 0) / 1000)} s`
      : `only ${done}/${ACCOUNTS} swept after ${fmt(seconds)} s`,
    { op: "<", target: GOAL_S },
  );
  report.figure(
    "sweep.rate",
    done / seconds,
    "accounts/s",
    `${done} accounts in ${fmt(seconds)} s`,
  );
  // Each consumer invocation writes its accounts in one transaction, so the count rises in
  // steps: one per finished batch. Their spacing is the time of one invocation.
  const steps = progress.filter(([, d], i) => i > 0 && d > progress[i - 1]![1]).map(([t]) => t);
  const gaps = steps.slice(1).map((t, i) => t - steps[i]!);
  report.figure(
    "sweep.consumer_batch",
    gaps.length ? median(gaps)! / 1000 : null,
    "s",
    `median time between finished Queue batches (max_batch_size 10 messages x 50 ids = up to 500 accounts each; ${steps.length} steps seen, one batch at a time locally)`,
  );
  // One consumer invocation's throughput: each step is one finished batch, and locally the
  // batches run one after another, so a step's size over its gap is one invocation's rate.
  const stepRates: number[] = [];
  for (let i = 1; i < progress.length; i++) {
    const [t0, d0] = progress[i - 1]!;
    const [t1, d1] = progress[i]!;
    if (d1 > d0 && t1 > t0) stepRates.push(((d1 - d0) * 1000) / (t1 - t0));
  }
  stepRates.shift(); // the first step also holds the cron's dispatch and the consumer's start
  const perInvocation = median(stepRates);
  report.figure(
    "sweep.invocation_rate",
    perInvocation,
    "accounts/s",
    `one Queue consumer invocation: accounts per finished batch / its time (median of ${stepRates.length}), MTAPI ${REST_DELAY_MS} ms, 6 calls at once; bound 6 x 1000 / ${REST_DELAY_MS} = ${(6 * 1000) / REST_DELAY_MS}`,
  );
  // The production model: Queues runs consumer invocations concurrently (up to 250); the
  // sweep's batches overlap, so it takes accounts / (concurrent invocations x that rate).
  const batches = Math.ceil(ACCOUNTS / 500);
  const concurrent = Math.min(batches, 250);
  report.figure(
    "sweep.production_model",
    perInvocation ? ACCOUNTS / (concurrent * perInvocation) : null,
    "s",
    `modelled: ${ACCOUNTS} accounts / (${concurrent} concurrent invocations (${batches} batches of 500, at most 250) x ${fmt(perInvocation ?? 0)} accounts/s); 2 invocations: ${perInvocation ? fmt(ACCOUNTS / (2 * perInvocation)) : "n/a"} s`,
  );
  report.figure(
    "sweep.rest_in_flight",
    (restRequests * REST_DELAY_MS) / (seconds * 1000),
    "requests",
    `average MTAPI calls in flight: requests x ${REST_DELAY_MS} ms / sweep time (the sweep polls 6 at a time per invocation)`,
  );
  report.figure(
    "sweep.rest_requests",
    restRequests,
    "requests",
    `simulator AccountSummary answers during the sweep (${fmt(restRequests / Math.max(1, ACCOUNTS))} per account); ${live} went live, ${problems} with a problem`,
  );
});
