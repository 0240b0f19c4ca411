/** The audit trail's query: `GET /v1/audit` reads it (the vocabulary is src/domain/audit.ts). */
import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountAudit, type AuditRow } from "../db/schema.ts";

export interface AuditFilter {
  accountId?: number | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  since?: Date | undefined;
  beforeId?: number | undefined;
  limit: number;
}

/** Up to `limit + 1` audit rows, newest first. */
export async function listAudit(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  const where: SQL[] = [];
  if (f.accountId !== undefined) where.push(eq(accountAudit.accountId, f.accountId));
  if (f.actor !== undefined) where.push(eq(accountAudit.actor, f.actor));
  if (f.action !== undefined) where.push(eq(accountAudit.action, f.action));
  if (f.since) where.push(gte(accountAudit.at, f.since));
  if (f.beforeId !== undefined) where.push(lt(accountAudit.id, f.beforeId));
  return db
    .select()
    .from(accountAudit)
    .where(and(...where))
    .orderBy(desc(accountAudit.id))
    .limit(f.limit + 1);
}
