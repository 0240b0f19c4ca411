/**
 * `npm run secrets:reseal`: seals every stored secret under `SECRETS_KEY` (docs/security.md,
 * "Secrets at rest"): session tokens (lookup hashes recomputed), passwords, webhook secrets
 * and URLs; values stored in clear before sealing are sealed. After a key rotation set the new key as `SECRETS_KEY` and the old one as
 * `SECRETS_KEY_PREVIOUS`, run this, then drop the old key. Without `SECRETS_KEY` in the
 * environment, the key `npm run dev` made (`.data/secrets-key`) is used. `DATABASE_URL` as for
 * `npm run db:migrate`. Running it twice is a no-op.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connectDatabase, redactUrl } from "../dev/database.ts";
import { openDb } from "../src/db/client.ts";
import { redactDbMessage } from "../src/domain/redact.ts";
import { resealAll } from "../src/secrets/reseal.ts";
import { loadSealKeys } from "../src/secrets/seal.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const url = process.env.DATABASE_URL;
if (!url) {
  console.error("secrets:reseal: set DATABASE_URL (and SECRETS_KEY), as for npm run db:migrate");
  process.exit(2);
}
const devKey = `${root}.data/secrets-key`;
const current =
  process.env.SECRETS_KEY ?? (existsSync(devKey) ? readFileSync(devKey, "utf8").trim() : "");
if (!current) {
  console.error("secrets:reseal: set SECRETS_KEY (the key to seal under)");
  process.exit(2);
}
const keys = await loadSealKeys({
  SECRETS_KEY: current,
  SECRETS_KEY_PREVIOUS: process.env.SECRETS_KEY_PREVIOUS,
});
const database = await connectDatabase(url, process.env.DB_WS_PROXY || undefined);
const handle = openDb(database.config);
try {
  const report = await resealAll(handle.db, keys);
  console.log(
    `secrets:reseal: ${redactUrl(url)}: accounts (session tokens, passwords) re-sealed ${report.accounts.resealed}, already current ${report.accounts.current}; webhooks (secrets, URLs) re-sealed ${report.webhooks.resealed}, already current ${report.webhooks.current}`,
  );
} catch (err) {
  // The cause says why (a query's failure, a value that does not open); never a value.
  const causes: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    causes.push(redactDbMessage(e.message));
  console.error(`secrets:reseal: ${causes.join(": ") || String(err)}`);
  process.exitCode = 1;
} finally {
  await handle.close();
  await database.close();
}
