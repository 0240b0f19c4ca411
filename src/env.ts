/**
 * Settings the Worker reads beyond those `wrangler types` derives from wrangler.toml:
 * the secrets, and the dev-only database relay.
 */
interface Secrets {
  /** Postgres connection string (secret; Neon in production). */
  DATABASE_URL: string;
  /** Bearer token for `/v1` (secret). */
  ADMIN_TOKEN: string;
  /** Dev and tests only: the loopback relay in front of the embedded Postgres. */
  DB_WS_PROXY?: string;
  /** HMAC secret of console session cookies (secret, optional; default: derived from ADMIN_TOKEN). */
  SESSION_SECRET?: string;
  /** The key sealing secrets at rest: 32 bytes as 64 hex digits or base64 (secret; src/secrets/seal.ts). */
  SECRETS_KEY?: string;
  /** The key being rotated out: values sealed under it are still read (secret, optional). */
  SECRETS_KEY_PREVIOUS?: string;
  /** Up to this many pollable accounts the cron polls inline instead of queueing (default 100). */
  POLL_INLINE_MAX?: string;
  /** Broker server clocks: JSON of server name (or `*`) to minutes east of UTC (docs/trades.md, "Broker time"). */
  BROKER_UTC_OFFSETS?: string;
  /**
   * The deployment's enforcement ceiling: `off` (default, also when unset or misspelt),
   * `dry_run` or `on` (docs/enforcement.md, "Policy").
   */
  ENFORCEMENT?: string;
  /** Local runs only (`npm run dev`, tests): `1` lets webhooks call loopback `http://` URLs. */
  ALLOW_LOOPBACK_WEBHOOKS?: string;
}

declare global {
  // Both spellings of the generated Env (worker-configuration.d.ts) gain the secrets.
  interface Env extends Secrets {}
  namespace Cloudflare {
    interface Env extends Secrets {}
  }
}

export {};
