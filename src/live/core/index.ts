/**
 * The live monitor's pure core: every decision of the event path, the connection, the
 * watchdog and reconciliation, with no I/O and no `cloudflare:*` import, so it runs and is
 * tested in Node. The Durable Object shell (../monitor.ts) imports it as `core`.
 */
export * from "./backoff.ts";
export * from "./connection.ts";
export * from "./event-path.ts";
export * from "./server-time.ts";
export * from "./health.ts";
export * from "./lag.ts";
export * from "./parse-frame.ts";
export * from "./persist-backlog.ts";
export * from "./reconcile.ts";
export * from "./rest-path.ts";
export * from "./rules-interner.ts";
export * from "./status.ts";
export * from "./subscriptions.ts";
export * from "./watchdog.ts";
export * from "./health-change.ts";
