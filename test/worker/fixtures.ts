/**
 * The fixtures of the worker tests (test/worker), in one module: an account's audit rows, an
 * API-created account the simulator knows, and the strict CSV reader the Node tests use
 * (test/unit/fixtures.ts, pure, so it runs here too).
 */
import { and, asc, eq } from "drizzle-orm";
import { accountAudit, type AuditRow } from "../../src/db/schema.ts";
import { addToSim, createViaApi } from "./api/helpers.ts";
import { withTestDb } from "./helpers.ts";

export { parseCsv } from "../unit/fixtures.ts";

/** An account's audit rows, oldest first; only those of one `field` when given. */
export async function auditOf(accountId: number, field?: string): Promise<AuditRow[]> {
  return withTestDb((db) =>
    db
      .select()
      .from(accountAudit)
      .where(
        field === undefined
          ? eq(accountAudit.accountId, accountId)
          : and(eq(accountAudit.accountId, accountId), eq(accountAudit.field, field)),
      )
      .orderBy(asc(accountAudit.id)),
  );
}

/** An API-created account (the create answer) that the simulator knows, at the given figures. */
export async function simAccount(balance = 100_000, equity = balance) {
  const created = await createViaApi();
  await addToSim(created, { balance, equity });
  return created;
}
