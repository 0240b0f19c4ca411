/**
 * `npm run build:console`: bundles the operator console (console/src, Preact + uPlot) with
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
  entryPoints: { app: `${root}console/src/main.tsx` },
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
