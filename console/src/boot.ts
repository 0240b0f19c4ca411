/**
 * The requests the page starts while the bundle loads (docs/console.md): index.html fetches
 * them, `takeBoot` (api.ts) hands the answers to the first view. scripts/build-console.ts
 * writes these URLs into index.html, so the page and the views name each one once.
 */
export const BOOT_URLS = {
  /** Who is signed in. */
  session: "/v1/session",
  /** The at-risk view's default first page (views/at-risk.tsx). */
  atRisk: "/v1/accounts?sort=usage_desc&limit=100&status=active",
} as const;

/** A request started at boot. */
export type BootRequest = keyof typeof BOOT_URLS;
