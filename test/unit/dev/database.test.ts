import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDatabase, connectDatabase, isLoopbackUrl, redactUrl } from "../../../dev/database.ts";
import { migrateDatabase, migrationState } from "../../../dev/migrate.ts";
import { startPostgres, type LocalPostgres } from "../../../dev/postgres.ts";

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("which DATABASE_URL gets a relay", () => {
  it("treats 127.0.0.1, localhost and ::1 as this machine, and anything else as remote", () => {
    expect(isLoopbackUrl("postgres://u:p@127.0.0.1:5432/db")).toBe(true);
    expect(isLoopbackUrl("postgres://u:p@localhost/db")).toBe(true);
    expect(isLoopbackUrl("postgres://u:p@[::1]:5432/db")).toBe(true);
    expect(isLoopbackUrl("postgres://u:p@ep-x.eu-central-1.aws.neon.tech/db")).toBe(false);
    expect(isLoopbackUrl("not a url")).toBe(false);
  });

  it("hides the password in what it prints", () => {
    expect(redactUrl("postgres://sentinel:s3cret@127.0.0.1:5432/sentinel")).toBe(
      "postgres://sentinel:***@127.0.0.1:5432/sentinel",
    );
  });

  it("starts a relay for a loopback URL and uses a remote one or a given relay as is", async () => {
    const local = await connectDatabase("postgres://u:p@127.0.0.1:5432/db");
    try {
      expect(local.startedRelay).toBe(true);
      expect(local.config.DB_WS_PROXY).toMatch(/^127\.0\.0\.1:\d+\/v1$/);
    } finally {
      await local.close();
    }
    const neon = await connectDatabase("postgres://u:p@ep-x.neon.tech/db");
    expect(neon).toMatchObject({ startedRelay: false, config: { DB_WS_PROXY: undefined } });
    const given = await connectDatabase("postgres://u:p@127.0.0.1:5432/db", "127.0.0.1:9/v1");
    expect(given).toMatchObject({ startedRelay: false, config: { DB_WS_PROXY: "127.0.0.1:9/v1" } });
  });
});

describe("the start-up check of a database", () => {
  it("says which URL cannot be reached and how to start the server, without the password", async () => {
    const url = `postgres://postgres:s3cret@127.0.0.1:${await closedPort()}/sentinel`;
    const db = await connectDatabase(url);
    try {
      const problem = await checkDatabase(db.config, { who: "dev" });
      expect(problem?.kind).toBe("unreachable");
      expect(problem?.message).toContain(redactUrl(url));
      expect(problem?.message).toContain("connection refused");
      expect(problem?.message).toContain("pg_ctlcluster");
      expect(problem?.message).not.toContain("s3cret");
      expect(problem?.message).not.toContain("\n");
    } finally {
      await db.close();
    }
  });

  it("names a host that does not resolve instead of the driver's empty WebSocket error", async () => {
    const url = "postgres://u:p@db.sentinel.invalid/sentinel";
    const problem = await checkDatabase({ DATABASE_URL: url }, { who: "dev" });
    expect(problem?.kind).toBe("unreachable");
    expect(problem?.message).toContain("db.sentinel.invalid");
    expect(problem?.message).not.toContain("[object");
  });

  describe("against a real Postgres engine (PGlite)", { timeout: 30_000 }, () => {
    let pg: LocalPostgres;
    beforeAll(async () => {
      pg = await startPostgres({ migrate: false });
    }, 120_000);
    afterAll(async () => {
      await pg.close();
    });
    const config = () => ({ DATABASE_URL: pg.databaseUrl, DB_WS_PROXY: pg.wsProxy });

    it("reports an unmigrated database with the command that fixes it", async () => {
      const problem = await checkDatabase(config(), { who: "dev" });
      expect(problem?.kind).toBe("unmigrated");
      expect(problem?.message).toContain("npm run db:migrate");
      expect(await checkDatabase(config(), { migrated: false })).toBeUndefined();
    });

    it("applies every migration once: a second run is a no-op and the check then passes", async () => {
      const before = await migrationState(config());
      expect(before.pending).toBe(before.total);
      expect(before.total).toBeGreaterThan(0);
      expect(await migrateDatabase(config())).toBe(before.total);
      expect(await migrateDatabase(config())).toBe(0);
      expect(await migrationState(config())).toEqual({ total: before.total, pending: 0 });
      expect(await checkDatabase(config())).toBeUndefined();
    });
  });
});
