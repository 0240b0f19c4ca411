/**
 * `npm run build:console`: bundles the operator console (console/src, Preact + uPlot) and the
 * trader page (console/trader, docs/trader-page.md) with
 * esbuild into dist/console, the folder Workers Static Assets serves (wrangler.toml
 * `[assets]`). Runs before `npm test`, `npm run dev` and `npm run deploy` (their `pre`
 * scripts). `--watch` rebuilds on change (used by `npm run dev`).
 */
import { build, context, type BuildOptions } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BOOT_URLS } from "../console/src/boot.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/console`;

const options: BuildOptions = {
  // The operator console, and the trader page (`/t/<token>`, served by the Worker: its HTML
  // shell is src/http/shared.ts, its script and stylesheet trader.js and trader.css here).
  entryPoints: { app: `${root}console/src/main.tsx`, trader: `${root}console/trader/main.tsx` },
  outdir: out,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
};

/**
 * Writes index.html with a version stamp of the bundle, so a new build is never served stale,
 * and the URLs it fetches at boot (console/src/boot.ts, shared with the views).
 */
function writeIndex(): void {
  const hash = createHash("sha256")
    .update(readFileSync(`${out}/app.js`))
    .update(readFileSync(`${out}/app.css`))
    .digest("hex")
    .slice(0, 12);
  const html = readFileSync(`${root}console/index.html`, "utf8")
    .replaceAll("__VERSION__", hash)
    .replaceAll("__BOOT_SESSION__", JSON.stringify(BOOT_URLS.session))
    .replaceAll("__BOOT_AT_RISK__", JSON.stringify(BOOT_URLS.atRisk));
  writeFileSync(`${out}/index.html`, html);
  writeFileSync(`${out}/_headers`, securityHeaders(html));
}

/**
 * The console's security headers (docs/security.md, "Security headers"), as a `_headers`
 * file Workers static assets apply: a CSP allowing only this origin's scripts and the one
 * inline boot script (by its hash), no framing, no MIME sniffing, HSTS.
 */
function securityHeaders(html: string): string {
  const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1]!).digest("base64")}'`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${inline.join(" ")}`.trim(),
    // Preact sets element styles (bar widths) through the style attribute.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return [
    "/*",
    `  Content-Security-Policy: ${csp}`,
    "  X-Frame-Options: DENY",
    "  X-Content-Type-Options: nosniff",
    "  Referrer-Policy: no-referrer",
    "  Strict-Transport-Security: max-age=31536000; includeSubDomains",
    "",
  ].join("\n");
}

mkdirSync(out, { recursive: true });
if (process.argv.includes("--watch")) {
  const ctx = await context({
    ...options,
    plugins: [
      { name: "index", setup: (b) => b.onEnd((r) => void (r.errors.length || writeIndex())) },
    ],
  });
  await ctx.watch();
  console.log(`[console] watching console/src -> dist/console`);
} else {
  const result = await build(options);
  writeIndex();
  const bytes = Object.entries(result.metafile?.outputs ?? {})
    .filter(([f]) => !f.endsWith(".map"))
    .reduce((n, [, o]) => n + o.bytes, 0);
  console.log(`[console] built dist/console (${Math.round(bytes / 1024)} KiB)`);
}
