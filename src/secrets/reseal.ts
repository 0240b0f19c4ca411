/**
 * Re-sealing every stored secret under the current key (docs/security.md, "Secrets at
 * rest"), after `SECRETS_KEY` was rotated (the old key set as `SECRETS_KEY_PREVIOUS`) or to
 * seal values stored in clear before sealing existed. Idempotent: a value already sealed
 * under the current key is left alone. Run by `npm run secrets:reseal`.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { webhookEndpoints } from "../db/schema.ts";
import { openStored } from "./keys.ts";
import { needsReseal, seal, type SealKeys } from "./seal.ts";

/** What a re-seal did: values sealed anew, values already current. */
export interface ResealReport {
  resealed: number;
  current: number;
}

/** One stored value under the current key (null stays null). */
async function resealed(keys: SealKeys, value: string | null): Promise<string | null> {
  if (value === null || !needsReseal(keys, value)) return value;
  return seal(keys, await openStored(keys, value));
}

/**
 * Re-seals every webhook secret (and the previous secret of a rotation) under the current
 * key, one endpoint per transaction, each row locked while it is rewritten. A value that
 * cannot be opened with the keys given throws, naming the endpoint, not the value.
 */
export async function resealWebhookSecrets(db: Db, keys: SealKeys): Promise<ResealReport> {
  if (!keys.current) throw new Error("SECRETS_KEY is not set: nothing to seal under");
  const report: ResealReport = { resealed: 0, current: 0 };
  const ids = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints);
  for (const { id } of ids) {
    await db.transaction(async (tx) => {
      const [row] = await tx
        .select({
          secret: webhookEndpoints.secret,
          previousSecret: webhookEndpoints.previousSecret,
        })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.id, id))
        .for("update");
      if (!row) return;
      let secret: string | null;
      let previousSecret: string | null;
      try {
        secret = await resealed(keys, row.secret);
        previousSecret = await resealed(keys, row.previousSecret);
      } catch (err) {
        throw new Error(
          `webhook ${id}: its secret does not open with SECRETS_KEY or SECRETS_KEY_PREVIOUS`,
          { cause: err },
        );
      }
      if (secret === row.secret && previousSecret === row.previousSecret) {
        report.current++;
        return;
      }
      await tx
        .update(webhookEndpoints)
        .set({ secret: secret!, previousSecret })
        .where(eq(webhookEndpoints.id, id));
      report.resealed++;
    });
  }
  return report;
}
