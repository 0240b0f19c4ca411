/**
 * Balance operations offered as adjustments (docs/trades.md, "Balance operations"; docs/api.md,
 * "Adjustments"): a deposit, withdrawal or credit read from order history becomes a *proposed*
 * adjustment, once per (account, ticket, time), audited. Nothing moves the account's figures
 * until an operator confirms it: then it goes through the bounded adjustment path
 * ({@link recordAdjustmentIn}) in the same transaction that marks it confirmed, so two
 * confirmations at once record one adjustment. A dismissed one is kept, with who and why.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { Recorded } from "../alerts/record.ts";
import type { Db } from "../db/client.ts";
import {
  type AccountAdjustmentRow,
  type AccountRow,
  type AdjustmentProposalRow,
  accountAudit,
  adjustmentProposals,
} from "../db/schema.ts";
import { auditValues } from "../domain/audit.ts";
import type { ReadingSource } from "../risk/index.ts";
import type { AdjustmentRefusal } from "../risk/index.ts";
import { recordAdjustmentIn } from "./adjustments.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** A balance operation as order history gave it (already in UTC). */
export interface BalanceOperation {
  ticket: number;
  atMs: number;
  orderType: string;
  amount: number;
}

/** A proposal as the admin API shows it. */
export interface ProposalJson {
  id: number;
  account_id: number;
  ticket: number;
  at: string;
  order_type: string;
  amount: number;
  state: "proposed" | "confirmed" | "dismissed";
  adjustment_id: number | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

export function presentProposal(row: AdjustmentProposalRow): ProposalJson {
  return {
    id: row.id,
    account_id: row.accountId,
    ticket: row.ticket,
    at: row.at.toISOString(),
    order_type: row.orderType,
    amount: row.amount,
    state: row.state,
    adjustment_id: row.adjustmentId,
    decided_by: row.decidedBy,
    decided_at: row.decidedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * Offers the operations not yet offered (a zero amount is no adjustment), with an
 * `account.adjustment_proposed` audit row each, inside the ingest's transaction. Returns how
 * many are new.
 */
export async function proposeBalanceOperations(
  tx: Tx,
  accountId: number,
  ops: readonly BalanceOperation[],
  source: ReadingSource,
): Promise<number> {
  const offered = ops.filter((o) => Number.isFinite(o.amount) && o.amount !== 0);
  if (offered.length === 0) return 0;
  const inserted = await tx
    .insert(adjustmentProposals)
    .values(
      offered.map((o) => ({
        accountId,
        ticket: o.ticket,
        at: new Date(o.atMs),
        orderType: o.orderType,
        amount: o.amount,
      })),
    )
    .onConflictDoNothing()
    .returning();
  if (inserted.length > 0) {
    await tx.insert(accountAudit).values(
      inserted.map((p) =>
        auditValues({
          action: "account.adjustment_proposed",
          actor: source === "event" ? "monitor" : "poller",
          accountId,
          reason: `proposal ${p.id}: ${p.orderType} ticket ${p.ticket} of ${p.amount} at ${p.at.toISOString()}`,
          source,
          field: "adjustment_proposal",
          to: String(p.amount),
        }),
      ),
    );
  }
  return inserted.length;
}

/** An account's proposals, newest first, optionally of one state. */
export async function listProposals(
  db: Db,
  accountId: number,
  state: AdjustmentProposalRow["state"] | undefined,
  limit: number,
): Promise<AdjustmentProposalRow[]> {
  const where = [eq(adjustmentProposals.accountId, accountId)];
  if (state !== undefined) where.push(eq(adjustmentProposals.state, state));
  return db
    .select()
    .from(adjustmentProposals)
    .where(and(...where))
    .orderBy(desc(adjustmentProposals.at), desc(adjustmentProposals.id))
    .limit(limit);
}

/** What deciding a proposal came to. */
export type DecidedProposal =
  | {
      kind: "confirmed";
      proposal: AdjustmentProposalRow;
      adjustment: AccountAdjustmentRow;
      account: AccountRow;
      alerted: Recorded;
    }
  | { kind: "dismissed"; proposal: AdjustmentProposalRow }
  | { kind: "refused"; refusal: AdjustmentRefusal }
  | { kind: "decided"; proposal: AdjustmentProposalRow }
  | { kind: "not_found" };

async function lockProposal(
  tx: Tx,
  accountId: number,
  proposalId: number,
): Promise<AdjustmentProposalRow | undefined> {
  const [row] = await tx
    .select()
    .from(adjustmentProposals)
    .where(
      and(eq(adjustmentProposals.id, proposalId), eq(adjustmentProposals.accountId, accountId)),
    )
    .for("update");
  return row;
}

/**
 * Confirms a proposal: records its amount as an adjustment through the bounded path (refused
 * out of bounds, the proposal left as it was) and marks it confirmed, in one transaction. A
 * proposal already decided is answered as it stands (`decided`), never applied twice.
 */
export async function confirmProposal(
  db: Db,
  accountId: number,
  proposalId: number,
  by: { actor: string; admin: boolean; note?: string | null; reason?: string | null },
): Promise<DecidedProposal> {
  return db.transaction(async (tx): Promise<DecidedProposal> => {
    const proposal = await lockProposal(tx, accountId, proposalId);
    if (!proposal) return { kind: "not_found" };
    if (proposal.state !== "proposed") return { kind: "decided", proposal };
    const note =
      by.note ?? `${proposal.orderType} ticket ${proposal.ticket} (${proposal.at.toISOString()})`;
    const recorded = await recordAdjustmentIn(tx, accountId, proposal.amount, note, {
      actor: by.actor,
      admin: by.admin,
      reason: `proposal ${proposal.id} confirmed${by.reason ? `: ${by.reason}` : ""}`,
    });
    if (recorded.kind === "not_found") return { kind: "not_found" };
    if (recorded.kind === "refused") return { kind: "refused", refusal: recorded.refusal };
    const [updated] = await tx
      .update(adjustmentProposals)
      .set({
        state: "confirmed",
        adjustmentId: recorded.adjustment.id,
        decidedBy: by.actor,
        decidedAt: sql`now()`,
      })
      .where(eq(adjustmentProposals.id, proposal.id))
      .returning();
    return {
      kind: "confirmed",
      proposal: updated!,
      adjustment: recorded.adjustment,
      account: recorded.account,
      alerted: recorded.alerted,
    };
  });
}

/** Dismisses a proposal (audited, kept); one already decided is answered as it stands. */
export async function dismissProposal(
  db: Db,
  accountId: number,
  proposalId: number,
  by: { actor: string; reason?: string | null },
): Promise<DecidedProposal> {
  return db.transaction(async (tx): Promise<DecidedProposal> => {
    const proposal = await lockProposal(tx, accountId, proposalId);
    if (!proposal) return { kind: "not_found" };
    if (proposal.state !== "proposed") return { kind: "decided", proposal };
    const [updated] = await tx
      .update(adjustmentProposals)
      .set({ state: "dismissed", decidedBy: by.actor, decidedAt: sql`now()` })
      .where(eq(adjustmentProposals.id, proposal.id))
      .returning();
    await tx.insert(accountAudit).values(
      auditValues({
        action: "account.adjustment_dismissed",
        actor: by.actor,
        accountId,
        reason: `proposal ${proposal.id} dismissed${by.reason ? `: ${by.reason}` : ""}`,
        source: "api",
        field: "adjustment_proposal",
        from: String(proposal.amount),
      }),
    );
    return { kind: "dismissed", proposal: updated! };
  });
}
