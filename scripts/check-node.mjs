// Runs before `npm run dev`, `npm test` and `npm run db:migrate` (npm `pre*` scripts). npm puts
// node_modules/.bin first on PATH, so these scripts run on the Node the project installs (the
// `node` dev dependency), whatever Node the machine has. Plain JavaScript that old Node versions
// parse, so a script started outside npm (`node scripts/dev.ts` on Node 20) gets one line
// saying what to do instead of ERR_UNKNOWN_FILE_EXTENSION.
const [major, minor] = process.versions.node.split(".").map(Number);
const strips = Boolean(process.features && process.features.typescript);
if (major < 22 || (major === 22 && minor < 18) || !strips) {
  console.error(
    `drawdown-sentinel runs its .ts files on Node >= 22.18; this is Node ${process.version}. ` +
      "Start it through npm (`npm install`, then `npm run dev` or `npm test`): npm runs the scripts on the Node the project installs.",
  );
  process.exit(1);
}
