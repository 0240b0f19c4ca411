/**
 * CLI: `node sim/main.ts [--port 8790] [--host 127.0.0.1] [--seed 1] [--tick-ms 1000]
 * [--demo 40] [--walk] [--batch 0.1] [--binary 0.05] [--non-equity 1] [--quiet]`.
 * Prints the URLs, then one line per connection and control action; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { demoAccounts } from "./demo.ts";
import { startSimulator } from "./simulator.ts";

const USAGE = `Usage: node sim/main.ts [options]
  --port <n>         port (default 8790; 0 = any free port)
  --host <addr>      address to listen on (default 127.0.0.1)
  --seed <n>         PRNG seed (default 1)
  --tick-ms <ms>     random-walk period (default 1000)
  --demo <n>         load n demo accounts (demoAccounts(n, seed))
  --walk             run the random walk
  --batch <p>        probability a frame batches events into an array (default 0)
  --binary <p>       probability a frame is binary (default 0)
  --non-equity <w>   weight of non-equity events in the mix (default 0)
  --quiet            no per-connection log lines
  --help`;

function num(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) {
    console.error(`--${name} expects a number, got ${JSON.stringify(value)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    seed: { type: "string" },
    "tick-ms": { type: "string" },
    demo: { type: "string" },
    walk: { type: "boolean", default: false },
    batch: { type: "string" },
    binary: { type: "string" },
    "non-equity": { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const seed = num("seed", values.seed, 1);
const demo = num("demo", values.demo, 0);
const stamp = () => new Date().toISOString().slice(11, 23);
const sim = await startSimulator({
  port: num("port", values.port, 8790),
  host: values.host ?? "127.0.0.1",
  seed,
  tickMs: num("tick-ms", values["tick-ms"], 1000),
  walk: values.walk,
  batchProbability: num("batch", values.batch, 0),
  binaryProbability: num("binary", values.binary, 0),
  mix: { non_equity: num("non-equity", values["non-equity"], 0) },
  accounts: demo > 0 ? demoAccounts(demo, seed) : [],
  log: values.quiet ? () => {} : (line) => console.log(`${stamp()} ${line}`),
});

console.log(`MTAPI_URL=${sim.mtapiUrl}`);
console.log(`EVENTS_URL=${sim.eventsUrl}`);
console.log(`control: ${sim.url}/control/state`);
if (demo > 0)
  console.log(`${demo} demo accounts (seed ${seed}), walk ${values.walk ? "on" : "off"}`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  void sim.close().then(() => process.exit(0));
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
