/**
 * A change racing the delete (docs/api.md, "Deleting an account"): the route's own check
 * (`changeableAccountOr409`) reads the row before the change's transaction, so a delete landing
 * between the two used to let the change through onto the archived account (credentials stored
 * again, a live share link, an adjustment, a new label). Each change now locks the row and
 * refuses a deleted one inside its own transaction: it lands before the archive, or gets 409.
 *
 * Deterministic: the archive runs inside a transaction held open while the change is issued
 * (it waits for the row's lock, or for the transaction on the embedded Postgres), then commits.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordAdjustment, recordAdjustmentIn } from "../../../src/accounts/adjustments.ts";
import {
  AccountDeletedError,
  archiveAccount,
  deletedSessionPlaceholder,
} from "../../../src/accounts/archive.ts";
import { sealKeysOf, setCredentials } from "../../../src/accounts/credentials.ts";
import { updateAccount } from "../../../src/accounts/queries.ts";
import { createShare } from "../../../src/accounts/shares.ts";
import type { Db } from "../../../src/db/client.ts";
import { accountAdjustments, accountShares } from "../../../src/db/schema.ts";
import { env } from "cloudflare:workers";
import { createTestAccount, getAccount, withTestDb } from "../helpers.ts";
import { api, createViaApi } from "../api/helpers.ts";

const BY = { actor: "race-test", reason: "race" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };
const settle = (p: Promise<unknown>): Promise<Settled> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * Runs `during` while account `id`'s archive is done but not committed; commits, then returns
 * how `during` ended.
 */
async function whileDeleting(db: Db, id: number, during: () => Promise<unknown>) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let archived!: () => void;
  const inside = new Promise<void>((r) => (archived = r));
  const holding = db.transaction(async (tx) => {
    await archiveAccount(tx as unknown as Db, id, BY);
    archived();
    await gate;
  });
  await inside;
  const change = settle(during());
  // The change is issued and waits on the held archive (its outcome does not depend on this).
  await sleep(300);
  release();
  await holding;
  return change;
}

function expectRefused(result: Settled) {
  expect(result.ok, "the change was refused").toBe(false);
  expect((result as { error: unknown }).error).toBeInstanceOf(AccountDeletedError);
}

describe("a change racing the delete", () => {
  it("PATCH (label), credentials, an adjustment and a share link waiting on the delete are refused", async () => {
    await withTestDb(async (db) => {
      const keys = (await sealKeysOf(env))!;
      const patched = await createTestAccount();
      expectRefused(
        await whileDeleting(db, patched.id, () =>
          updateAccount(db, patched.id, { label: "after the delete" }, BY),
        ),
      );
      expect((await getAccount(patched.id)).label).toBe("test");

      const creds = await createTestAccount();
      expectRefused(
        await whileDeleting(db, creds.id, () =>
          setCredentials(db, keys, creds.id, { password: "s3cret-pass", kind: "master" }, BY),
        ),
      );
      const wiped = await getAccount(creds.id);
      expect(wiped.credentialsSealed).toBeNull();
      expect(wiped.sessionId).toBe(deletedSessionPlaceholder(creds.id));

      const adjusted = await createTestAccount();
      expectRefused(
        await whileDeleting(db, adjusted.id, () =>
          recordAdjustment(db, adjusted.id, 500, "late", { actor: "race-test", admin: true }),
        ),
      );
      expect(
        await db
          .select()
          .from(accountAdjustments)
          .where(eq(accountAdjustments.accountId, adjusted.id)),
      ).toEqual([]);

      const shared = await createTestAccount();
      expectRefused(
        await whileDeleting(db, shared.id, () =>
          createShare(
            db,
            {
              accountId: shared.id,
              tokenHash: `race-${shared.id}`,
              expiresAt: new Date(Date.now() + 86_400_000),
            },
            BY,
          ),
        ),
      );
      expect(
        await db.select().from(accountShares).where(eq(accountShares.accountId, shared.id)),
      ).toEqual([]);
    });
  });

  it("a change holding the row first lands before the archive, which then archives it", async () => {
    const a = await createTestAccount();
    await withTestDb(async (db) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const inside = new Promise<void>((r) => (locked = r));
      const change = db.transaction(async (tx) => {
        await recordAdjustmentIn(tx, a.id, 250, "first", { actor: "race-test", admin: true });
        await createShare(
          tx as unknown as Db,
          { accountId: a.id, tokenHash: `first-${a.id}`, expiresAt: new Date(Date.now() + 1e8) },
          BY,
        );
        locked();
        await gate;
      });
      await inside;
      const archive = settle(archiveAccount(db, a.id, BY));
      await sleep(300);
      release();
      await change;
      expect(await archive).toMatchObject({ ok: true, value: { kind: "done", changed: true } });
      const adjustments = await db
        .select()
        .from(accountAdjustments)
        .where(eq(accountAdjustments.accountId, a.id));
      expect(adjustments.map((x) => x.amount)).toEqual([250]);
      // The link made before the delete is revoked by it.
      const [share] = await db
        .select()
        .from(accountShares)
        .where(eq(accountShares.accountId, a.id));
      expect(share?.revokedAt).not.toBeNull();
    });
    expect((await getAccount(a.id)).status).toBe("deleted");
  });

  it("answers 409 through the API once deleted (the route's refusal and the SQL's agree)", async () => {
    const created = await createViaApi();
    const id = created.account.id as number;
    expect((await api("DELETE", `/v1/accounts/${id}?reason=closed`)).status).toBe(204);
    const res = await api("PATCH", `/v1/accounts/${id}`, { json: { label: "x" } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("conflict");
  });
});
