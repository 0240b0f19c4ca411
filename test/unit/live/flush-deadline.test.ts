import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { figuresChange } from "../../../src/domain/outcome.ts";
import { postgresWrite } from "../../../src/live/postgres-write.ts";
import { liveSub } from "../fixtures.ts";

/** A "database" that accepts the connection and never answers (a hung server). */
let server: WebSocketServer;
let port = 0;

beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the monitor's Postgres write", () => {
  it("gives up at its deadline when the database never answers, as an outage (no SQLSTATE)", async () => {
    const sub = liveSub(1);
    const write = postgresWrite(
      { DATABASE_URL: "postgres://u:p@db.invalid:5432/x", DB_WS_PROXY: `127.0.0.1:${port}/v1` },
      300,
    );
    const change = figuresChange(1, sub.rules, sub.risk!, "event");
    const err = await write({
      changes: [{ change, expectMonitoring: "live" }],
      readingsFor: () => true,
      problems: [],
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/deadline/);
  });
});
