// Runs before `npm run dev`, `npm test` and `npm run db:migrate` (npm `pre*` scripts), on
// whatever Node the user has: plain JavaScript that even old Node versions parse, so an
// older Node gets one line saying what to install instead of ERR_UNKNOWN_FILE_EXTENSION.
// The project runs its .ts files directly (Node's type stripping, on by default since
// 22.18) and wrangler 4 needs Node >= 22.12.
const [major, minor] = process.versions.node.split(".").map(Number);
const strips = Boolean(process.features && process.features.typescript);
if (major < 22 || (major === 22 && minor < 18) || !strips) {
  console.error(
    `drawdown-sentinel needs Node >= 22.18 (Node 24 recommended, see .nvmrc); this is Node ${process.version}. ` +
      "Install it with `nvm install` in this folder (or fnm, volta, or https://nodejs.org/), then run the command again.",
  );
  process.exit(1);
}
