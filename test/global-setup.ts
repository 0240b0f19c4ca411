/**
 * Starts the real parts the workerd tests run against, on free loopback ports (never fixed:
 * tests must run while `npm run dev` is up): the embedded Postgres behind its WebSocket relay,
 * and the bundled MTAPI/Events simulator. Their URLs reach the Worker as bindings.
 */
import type { TestProject } from "vitest/node";
import { startPostgres } from "../dev/postgres.ts";
import { startSimulator } from "../sim/simulator.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    dbWsProxy: string;
    simUrl: string;
    eventsUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const [pg, sim] = await Promise.all([startPostgres(), startSimulator({ port: 0 })]);
  project.provide("databaseUrl", pg.databaseUrl);
  project.provide("dbWsProxy", pg.wsProxy);
  project.provide("simUrl", sim.url);
  project.provide("eventsUrl", sim.eventsUrl);
  return async () => {
    await sim.close();
    await pg.close();
  };
}
