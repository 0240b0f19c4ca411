/**
 * Renewal cost (docs/mtapi-bridge.md, "Sessions"): what renewing an expired session costs on
 * the MTAPI side, against the local simulator. N accounts whose tokens answer 201
 * INVALID_TOKEN are read, renewed and read again, 6 at a time (as the poller does):
 * - by token: ConnectByToken works;
 * - by credentials: ConnectByToken refused, ConnectEx with a password;
 * - live: the live monitor's own re-read (src/live/reread.ts `readRenewing`, what a heartbeat
 *   runs for a live account): the failed read, ConnectByToken and the read again in one call.
 * Figures: MTAPI calls per renewed account (the failed read included), and the time from the
 * failed read's answer to the next reading's answer, per account (p50, p99, max).
 *
 *   npx node bench/renewal.ts [accounts]
 */
import { startSimulator } from "../sim/simulator.ts";
import { fetchAccountSummary } from "../src/mtapi/account-summary.ts";
import { renewSession } from "../src/mtapi/renew.ts";
import { mapWithConcurrency } from "../src/util/concurrency.ts";
import { readRenewing } from "../src/live/reread.ts";

const N = Number(process.argv[2] ?? 600);
const INVALID_TOKEN = JSON.stringify({
  code: "INVALID_TOKEN",
  message: "Client with id not found",
});

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const sim = await startSimulator();
try {
  for (const mode of ["token", "credentials", "live"] as const) {
    sim.reset();
    const ids = Array.from({ length: N }, (_, i) => ({
      session_id: `renew-${mode}-${i}`,
      login: String(5_000_000 + i),
      server: "Bench-Live",
      password: `p&w=${i}`,
    }));
    for (const a of ids)
      sim.book.upsert({
        ...a,
        balance: 100_000,
        walk: false,
        expired: true,
        expired_status: 201,
        expired_body: INVALID_TOKEN,
        connect_by_token: mode !== "credentials",
      });
    const before = sim.state().rest;
    const waits: number[] = [];
    let renewed = 0;
    const started = performance.now();
    await mapWithConcurrency(ids, 6, async (a) => {
      if (mode === "live") {
        // The failed read's answer is stamped by the fetcher the monitor's read is given.
        let expiredAt: number | undefined;
        const stamping: typeof fetch = async (input, init) => {
          const res = await fetch(input, init);
          if (expiredAt === undefined) expiredAt = performance.now();
          return res;
        };
        const r = await readRenewing(
          sim.mtapiUrl,
          { accountId: 0, sessionId: a.session_id },
          undefined,
          stamping,
        );
        if (!r.ok || expiredAt === undefined) return;
        renewed++;
        waits.push(performance.now() - expiredAt);
        return;
      }
      const first = await fetchAccountSummary(sim.mtapiUrl, a.session_id, 10_000);
      const expiredAt = performance.now();
      if (first.ok || first.problem !== "token_invalid") return;
      const r = await renewSession(
        sim.mtapiUrl,
        {
          token: a.session_id,
          login: a.login,
          server: a.server,
          password: mode === "credentials" ? a.password : undefined,
        },
        10_000,
      );
      if (!r.ok) return;
      const again = await fetchAccountSummary(sim.mtapiUrl, r.token, 10_000);
      if (!again.ok) return;
      renewed++;
      waits.push(performance.now() - expiredAt);
    });
    const wall = performance.now() - started;
    const after = sim.state().rest;
    const calls = after.requests - before.requests + (after.session_calls - before.session_calls);
    waits.sort((x, y) => x - y);
    console.log(
      JSON.stringify({
        mode,
        accounts: N,
        renewed,
        mtapi_calls_per_renewed: +(calls / Math.max(renewed, 1)).toFixed(2),
        expiry_to_reading_ms: {
          p50: +pct(waits, 50).toFixed(1),
          p99: +pct(waits, 99).toFixed(1),
          max: +waits[waits.length - 1]!.toFixed(1),
        },
        wall_ms: Math.round(wall),
        renewed_per_s: Math.round((renewed / wall) * 1000),
      }),
    );
  }
} finally {
  await sim.close();
}
