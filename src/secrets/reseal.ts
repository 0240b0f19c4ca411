/**
 * Re-sealing every stored secret under the current key (docs/security.md, "Secrets at
 * rest"), after `SECRETS_KEY` was rotated (the old key set as `SECRETS_KEY_PREVIOUS`) or to
 * seal values stored in clear before sealing existed: stored passwords, MTAPI session tokens
 * (with their lookup hashes recomputed under the current key, and their masks), webhook
 * secrets and webhook URLs (with their masks). Idempotent: a value already sealed under the
 * current key is left alone. Run by `npm run secrets:reseal`.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, webhookEndpoints } from "../db/schema.ts";
import { maskSecret, maskUrlSecrets } from "../domain/redact.ts";
import { openStored } from "./keys.ts";
import { lookupHash, needsRehash } from "./lookup.ts";
import { needsReseal, seal, type SealKeys } from "./seal.ts";

/** What a re-seal did: rows rewritten, rows already current. */
export interface ResealReport {
  resealed: number;
  current: number;
}

/** What `npm run secrets:reseal` did, per table. */
export interface ResealAllReport {
  accounts: ResealReport;
  webhooks: ResealReport;
}

/** One stored value under the current key (null stays null). */
async function resealed(keys: SealKeys, value: string | null): Promise<string | null> {
  if (value === null || !needsReseal(keys, value)) return value;
  return seal(keys, await openStored(keys, value));
}

function requireKey(keys: SealKeys): void {
  if (!keys.current) throw new Error("SECRETS_KEY is not set: nothing to seal under");
}

/**
 * Re-seals every webhook secret (and the previous secret of a rotation) and URL under the
 * current key, one endpoint per transaction, each row locked while it is rewritten. A value
 * that cannot be opened with the keys given throws, naming the endpoint, not the value.
 */
export async function resealWebhookSecrets(db: Db, keys: SealKeys): Promise<ResealReport> {
  requireKey(keys);
  const report: ResealReport = { resealed: 0, current: 0 };
  const ids = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints);
  for (const { id } of ids) {
    await db.transaction(async (tx) => {
      const [row] = await tx
        .select({
          secret: webhookEndpoints.secret,
          previousSecret: webhookEndpoints.previousSecret,
          url: webhookEndpoints.url,
          urlMask: webhookEndpoints.urlMask,
        })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.id, id))
        .for("update");
      if (!row) return;
      let secret: string | null;
      let previousSecret: string | null;
      let url: string;
      let urlMask = row.urlMask;
      try {
        secret = await resealed(keys, row.secret);
        previousSecret = await resealed(keys, row.previousSecret);
        url = (await resealed(keys, row.url))!;
        urlMask ??= maskUrlSecrets(await openStored(keys, row.url));
      } catch (err) {
        throw new Error(
          `webhook ${id}: a secret or the URL does not open with SECRETS_KEY or SECRETS_KEY_PREVIOUS`,
          { cause: err },
        );
      }
      if (
        secret === row.secret &&
        previousSecret === row.previousSecret &&
        url === row.url &&
        urlMask === row.urlMask
      ) {
        report.current++;
        return;
      }
      await tx
        .update(webhookEndpoints)
        .set({ secret: secret!, previousSecret, url, urlMask })
        .where(eq(webhookEndpoints.id, id));
      report.resealed++;
    });
  }
  return report;
}

/**
 * Re-seals every account's session token (its lookup hash recomputed under the current key,
 * its mask filled in) and stored password, one account per transaction, the row locked. A
 * token in clear from before sealing is sealed here. A value that cannot be opened throws,
 * naming the account, not the value; so does a token another active account holds already
 * (the unique index on the hash), which an operator must resolve.
 */
export async function resealAccountSecrets(db: Db, keys: SealKeys): Promise<ResealReport> {
  requireKey(keys);
  const report: ResealReport = { resealed: 0, current: 0 };
  const ids = await db.select({ id: accounts.id }).from(accounts).orderBy(accounts.id);
  for (const { id } of ids) {
    try {
      await db.transaction(async (tx) => {
        const [row] = await tx
          .select({
            sessionId: accounts.sessionId,
            sessionHash: accounts.sessionHash,
            sessionMask: accounts.sessionMask,
            credentialsSealed: accounts.credentialsSealed,
          })
          .from(accounts)
          .where(eq(accounts.id, id))
          .for("update");
        if (!row) return;
        const sessionStale =
          needsReseal(keys, row.sessionId) ||
          needsRehash(keys, row.sessionHash) ||
          row.sessionMask === null;
        const credentialsSealed = await resealed(keys, row.credentialsSealed);
        if (!sessionStale && credentialsSealed === row.credentialsSealed) {
          report.current++;
          return;
        }
        const token = await openStored(keys, row.sessionId);
        await tx
          .update(accounts)
          .set({
            sessionId: needsReseal(keys, row.sessionId) ? await seal(keys, token) : row.sessionId,
            sessionHash: needsRehash(keys, row.sessionHash)
              ? await lookupHash(keys, token)
              : row.sessionHash,
            sessionMask: row.sessionMask ?? maskSecret(token),
            credentialsSealed,
          })
          .where(eq(accounts.id, id));
        report.resealed++;
      });
    } catch (err) {
      throw new Error(
        `account ${id}: its session token or password does not open with SECRETS_KEY or SECRETS_KEY_PREVIOUS, or its token is another active account's`,
        { cause: err },
      );
    }
  }
  return report;
}

/** Re-seals every stored secret: accounts' tokens and passwords, webhooks' secrets and URLs. */
export async function resealAll(db: Db, keys: SealKeys): Promise<ResealAllReport> {
  return {
    accounts: await resealAccountSecrets(db, keys),
    webhooks: await resealWebhookSecrets(db, keys),
  };
}
