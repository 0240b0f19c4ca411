/**
 * Starts the real parts the workerd tests run against, on free loopback ports (never fixed:
 * tests must run while `npm run dev` is up): the embedded Postgres behind its WebSocket relay,
 * and the bundled MTAPI/Events simulator. Their URLs reach the Worker as bindings.
 */
import type { TestProject } from "vitest/node";
import { startPostgres } from "../dev/postgres.ts";
import { startWebhookSink } from "../dev/webhook-sink.ts";
import { startSimulator } from "../sim/simulator.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    dbWsProxy: string;
    simUrl: string;
    eventsUrl: string;
    /** The webhook receiver (dev/webhook-sink.ts). */
    sinkUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const [pg, sim, sink] = await Promise.all([
    startPostgres(),
    startSimulator({ port: 0 }),
    startWebhookSink(),
  ]);
  project.provide("databaseUrl", pg.databaseUrl);
  project.provide("dbWsProxy", pg.wsProxy);
  project.provide("simUrl", sim.url);
  project.provide("eventsUrl", sim.eventsUrl);
  project.provide("sinkUrl", sink.url);
  return async () => {
    await sink.close();
    await sim.close();
    await pg.close();
  };
}
