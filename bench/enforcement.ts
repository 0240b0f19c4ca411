/**
 * Enforcement latency (docs/enforcement.md, "Benchmark"): from the start of an action to the
 * last position closed at the simulator, through the real core (`drive`), the real MTAPI
 * client (src/enforce/broker.ts over src/mtapi) and the project's simulator over loopback HTTP. Each account
 * holds two positions and one pending order (E18). The state is persisted to memory (a
 * structured clone per command), not Postgres: add the database's write latency once per
 * command (6 commands for E18: summary, plan, 3 sends, summary after).
 *
 *   npx node bench/enforcement.ts [singles=200] [burst=1000]
 */
import { newAction, type ActionState } from "../src/domain/enforcement/action.ts";
import { drive } from "../src/domain/enforcement/drive.ts";
import { brokerCalls } from "../src/enforce/broker.ts";
import { startSimulator, type Simulator } from "../sim/simulator.ts";

const singles = Number(process.argv[2] ?? 200);
const burst = Number(process.argv[3] ?? 1000);

async function control(sim: Simulator, path: string, body: unknown, method = "POST") {
  const res = await fetch(`${sim.url}/control${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

async function seed(sim: Simulator, n: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  await control(
    sim,
    "/accounts",
    ids.map((id, i) => ({
      session_id: id,
      login: String(1e7 + i),
      server: `B-${prefix}`,
      balance: 100_000,
      equity: 89_000,
      walk: false,
    })),
  );
  for (const id of ids) {
    await control(
      sim,
      `/orders/${id}`,
      {
        opened: [
          { ticket: 1, symbol: "EURUSD", orderType: "Buy", lots: 1, openPrice: 1.1, profit: -6000 },
          {
            ticket: 2,
            symbol: "GBPUSD",
            orderType: "Sell",
            lots: 1,
            openPrice: 1.3,
            profit: -5000,
          },
          {
            ticket: 3,
            symbol: "EURUSD",
            orderType: "BuyLimit",
            lots: 1,
            openPrice: 1.05,
            profit: 0,
          },
        ],
      },
      "PUT",
    );
    await control(sim, `/close/${id}`, { investor: false }, "PUT");
  }
  return ids;
}

/** ms from the action's start to its last send answered. */
async function enforce(mtapiUrl: string, sessionId: string): Promise<number> {
  const t = brokerCalls({ mtapiUrl, sessionId, login: "", server: "", timeoutMs: 30_000 });
  const start = performance.now();
  let lastClose = start;
  let kept: ActionState | null = null;
  const state = await drive(newAction("close_all", false, Date.now()), {
    now: Date.now,
    halted: () => false,
    persist: async (s) => {
      kept = structuredClone(s);
    },
    readSummary: t.readSummary,
    readOpened: t.readOpened,
    send: async (ticket) => {
      const a = await t.send(ticket);
      lastClose = performance.now();
      return a;
    },
    renew: t.renew,
    wait: async () => true,
  });
  if (state.phase !== "done" || state.steps.length !== 3 || kept === null) {
    throw new Error(`${sessionId}: ${state.phase} ${state.failure}`);
  }
  return lastClose - start;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

const sim = await startSimulator();
try {
  const one = await seed(sim, singles, "single");
  const lat: number[] = [];
  for (const id of one) lat.push(await enforce(sim.mtapiUrl, id));
  console.log(`one account at a time (${singles}): ${fmt(lat)}`);
  const many = await seed(sim, burst, "burst");
  const t0 = performance.now();
  const all = await Promise.all(many.map((id) => enforce(sim.mtapiUrl, id)));
  const wall = performance.now() - t0;
  console.log(`${burst} accounts at once: ${fmt(all)}; all flat after ${wall.toFixed(0)} ms`);
} finally {
  await sim.close();
}
