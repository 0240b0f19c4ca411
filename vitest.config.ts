import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { databaseForFile } from "./dev/test-databases.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
/** The tests' key sealing secrets at rest (src/secrets/seal.ts): 32 bytes as hex. */
export const SECRETS_KEY = "7e57".repeat(16);
/** The tests' console cookie key (docs/security.md: never derived from ADMIN_TOKEN). */
export const SESSION_SECRET = "test-session-secret-0123456789abcdef0123456789";

export default defineConfig({
  test: {
    projects: [
      {
        // Pure code (risk engine, parsers, simulator) in plain Node: fast.
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        // The Worker, the Durable Object and the cron inside workerd, against the embedded
        // Postgres and the simulator started by the global setup.
        plugins: [
          // Called once per test file: with TEST_DATABASE_URL each file gets its own database.
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...(await databaseForFile(inject("testDatabase"))),
                MTAPI_URL: inject("simUrl"),
                EVENTS_URL: inject("eventsUrl"),
                SIM_URL: inject("simUrl"),
                ADMIN_TOKEN,
                SECRETS_KEY,
                SESSION_SECRET,
                // The ceiling for the live shard's enforcement tests; every account's own
                // `enforcement` is off by default, so nothing else acts.
                ENFORCEMENT: "on",
                // The shared test database holds many accounts: cron tests poll inline;
                // test/worker/queue.test.ts drives the queue path itself.
                POLL_INLINE_MAX: "1000000",
                // Webhook tests deliver to the loopback receiver of the global setup.
                ALLOW_LOOPBACK_WEBHOOKS: "1",
                SINK_URL: inject("sinkUrl"),
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["./test/global-setup.ts"],
          // Each file starts from an empty database and simulator, and leaves no monitor
          // subscribed nor live row behind.
          setupFiles: ["./test/worker/setup.ts"],
          // The files share one simulator and one database; some tests drop or refuse the
          // simulator's connections, so files run one after another.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The chaos suite's short form: the whole stack (wrangler dev, the simulator, Postgres
        // behind its relay) under random faults from a fixed seed (test/chaos/engine.ts).
        test: {
          name: "chaos",
          include: ["test/chaos/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The demo of `npm run dev` (test/demo/): scripts/dev.ts started as a child process,
        // watched through the API for up to 4 minutes (docs/demo.md).
        test: {
          name: "demo",
          include: ["test/demo/**/*.test.ts"],
          environment: "node",
          testTimeout: 480_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The operator console in headless Chromium against the whole system (wrangler dev
        // serving the Worker and dist/console, which `pretest` builds).
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          // One more try for a failed browser test: under load the embedded Postgres's socket
          // server can interleave two connections' extended-protocol messages and answer a
          // query with no rows (electric-sql/pglite#1046), which the console then meets as a
          // 401 (its key "not found"). The tests print each page's 401s and 5xx when they fail;
          // a test that fails twice fails the run. docs/testing.md, "Flakes".
          retry: 1,
          testTimeout: 90_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
