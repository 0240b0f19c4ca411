/**
 * Recovery after the Events service drops the connection: 10,000 subscriptions (quick: 1,000)
 * on the live monitor, then `POST /control/drop {}` (every connection terminated, no close
 * frame); timed from the drop until the simulator holds every subscription again. The monitor
 * has to notice the close, reconnect (a link that was up 5 s reconnects at once; full jitter
 * from the second attempt on, core/backoff.ts) and send N subscribe frames; the simulator
 * acknowledges each.
 *
 * Several rounds, 6 s apart (the link must stay up 5 s for the backoff to start from its first
 * step again). The wait reads the simulator's state every 10 ms in-process rather than through
 * `POST /control/wait`: that route re-checks its condition on every subscribe frame and builds
 * the whole subscription list each time, O(N^2) inside the simulator (at 10,000 it did not
 * answer within 45 s), which would be timed instead of the monitor.
 *
 *   node bench/resubscribe.ts [--quick]
 */
import { fmt, median, note, quick, runBench, sleep } from "./common.ts";
import { BAND_EQUITY, goLive } from "./fixtures.ts";
import { startStack, waitForSubscriptions } from "./stack.ts";

const BENCH = "resubscribe";
const N = quick ? 1_000 : 10_000;
const ROUNDS = quick ? 2 : 5;
const GOAL_MS = 2_000;

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH);
  const { subscribeMs } = await goLive(stack, {
    tag: "resub",
    count: N,
    already: 0,
    equity: BAND_EQUITY,
  });
  note(BENCH, `${N} subscriptions (cron to subscribed: ${(subscribeMs / 1000).toFixed(1)} s)`);

  const rounds: Array<{ ms: number; reconnect_ms: number | null; reconnects: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    await sleep(6_000);
    await waitForSubscriptions(stack.sim, N, 30_000, 10);
    const before = await stack.monitor();
    const droppedAt = Date.now();
    const started = performance.now();
    const dropped = await stack.control<{ dropped: number }>("/drop", {});
    await waitForSubscriptions(stack.sim, N, 60_000, 10);
    const ms = performance.now() - started;
    const after = await stack.monitor();
    const reconnects = after.connection.reconnects - before.connection.reconnects;
    // The monitor's clock and ours are the same machine's.
    const since = after.connection.connected_since;
    const reconnectMs = since === null ? null : Date.parse(since) - droppedAt;
    rounds.push({ ms, reconnect_ms: reconnectMs, reconnects });
    note(
      BENCH,
      `round ${r + 1}: dropped ${dropped.dropped}; reconnected after ${fmt(reconnectMs)} ms, ${N} back after ${fmt(ms)} ms (${reconnects} reconnect(s))`,
    );
  }
  report.data.n = N;
  report.data.rounds = rounds;

  const clean = rounds.filter((r) => r.reconnects === 1);
  const used = clean.length ? clean : rounds;
  const times = used.map((r) => r.ms);
  const reconnect = used.map((r) => r.reconnect_ms).filter((v): v is number => v !== null);
  const resend = used.filter((r) => r.reconnect_ms !== null).map((r) => r.ms - r.reconnect_ms!);
  const extra = rounds.length - clean.length;
  report.figure(
    "resubscribe.p50",
    median(times),
    "ms",
    `${N} subscriptions back after a drop, median of ${times.length} rounds (${times.map((t) => fmt(t)).join(", ")} ms)${extra ? `; ${extra} round(s) with more than one reconnect left out` : ""}`,
    { op: "<", target: GOAL_MS },
  );
  report.figure("resubscribe.max", Math.max(...times), "ms", `worst of ${times.length} rounds`, {
    op: "<",
    target: GOAL_MS,
  });
  report.figure(
    "resubscribe.reconnect_p50",
    median(reconnect),
    "ms",
    `drop to the monitor's new connection (close noticed, backoff with full jitter 0-500 ms, handshake): ${reconnect.map((t) => fmt(t)).join(", ")} ms`,
  );
  report.figure(
    "resubscribe.resend_p50",
    median(resend),
    "ms",
    `new connection to all ${N} subscribed in the simulator (the monitor sends ${N} frames, the simulator acknowledges each)`,
  );
});
