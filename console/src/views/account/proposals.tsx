/**
 * Balance operations offered as adjustments (docs/console.md, "Account"; docs/trades.md,
 * "Balance operations"): deposits, withdrawals and credits read from the account's order
 * history, newest first, each with its broker time, ticket and state. None moves the figures
 * until an operator confirms it (recorded through the bounded adjustment path) or dismisses it
 * (kept, never applied), each with a reason; a refusal (422 out of bounds, 409 already decided)
 * is shown in the dialog, and the list is read again so it shows what the server holds.
 */
import { useState } from "preact/hooks";
import { ApiError, api, getOptional } from "../../api.ts";
import { Grid, num } from "../../components/grid.tsx";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { fmtMoney, fmtTime } from "../../format.ts";
import { usePoll } from "../../poll.ts";
import type { AdjustmentProposal } from "../../types.ts";

type Decision = "confirm" | "dismiss";

/** What an operation is: a credit, else a deposit or withdrawal by its sign. */
export function operationKind(p: Pick<AdjustmentProposal, "order_type" | "amount">): string {
  if (p.order_type.toLowerCase() === "credit") return "credit";
  return p.amount < 0 ? "withdrawal" : "deposit";
}

const STATE_BADGE: Record<AdjustmentProposal["state"], string> = {
  proposed: "live",
  confirmed: "active",
  dismissed: "disabled",
};

/** The refusal as the dialog says it: the status names which (422 bounds, 409 decided). */
function refusal(decision: Decision, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const status = err instanceof ApiError ? ` (${err.status})` : "";
  const verb = decision === "confirm" ? "confirmed" : "dismissed";
  return new Error(`Not ${verb}${status}: ${message}`);
}

export function ProposalsSection(props: {
  accountId: number;
  operate: boolean;
  onChanged: () => void;
}) {
  const { accountId, operate, onChanged } = props;
  const [pending, setPending] = useState<{ decision: Decision; p: AdjustmentProposal } | null>(
    null,
  );
  const [note, setNote] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const list = usePoll(
    () =>
      getOptional<{ items: AdjustmentProposal[] }>(
        `/v1/accounts/${accountId}/adjustments/proposed`,
      ),
    15_000,
    [accountId],
  );

  const decide = async (reason: string) => {
    if (!pending) return;
    const { decision, p } = pending;
    const path = `/v1/accounts/${accountId}/adjustments/proposed/${p.id}/${decision}`;
    const trimmed = note.trim();
    const body = decision === "confirm" && trimmed !== "" ? { note: trimmed, reason } : { reason };
    try {
      await api("POST", path, body);
    } catch (err) {
      // A 409 means someone else decided it meanwhile: show what the server holds now.
      list.reload();
      throw refusal(decision, err);
    }
    setNotice(`ticket ${p.ticket} ${decision === "confirm" ? "confirmed" : "dismissed"}`);
    list.reload();
    onChanged();
  };

  const rows = list.data?.items ?? [];
  return (
    <div id="proposals">
      <div class="toolbar">
        <h2>Proposed adjustments</h2>
        {notice && (
          <span class="muted" role="status">
            {notice}
          </span>
        )}
        {list.error && <span class="error">{list.error.message}</span>}
      </div>
      {list.at === null ? (
        <p class="muted">Loading...</p>
      ) : list.data === null ? (
        <p class="muted">This server does not propose adjustments yet.</p>
      ) : (
        <Grid
          compact
          label="Balance operations from order history, newest first"
          columns={["Booked", "Ticket", "Kind", num("Amount"), "State"]}
          empty={rows.length === 0}
          emptyText="No balance operations read."
        >
          {rows.map((p) => (
            <tr key={p.id} data-proposal={p.id} data-ticket={p.ticket} data-state={p.state}>
              <td title={`booked by the broker (read ${fmtTime(p.created_at)})`}>
                {fmtTime(p.at)}
              </td>
              <td class="mono">{p.ticket}</td>
              <td title={p.order_type}>{operationKind(p)}</td>
              <td class={`num ${p.amount < 0 ? "neg" : ""}`}>{fmtMoney(p.amount)}</td>
              <td
                title={
                  p.decided_at ? `${p.decided_by ?? "?"}, ${fmtTime(p.decided_at)}` : undefined
                }
              >
                <span class={`badge ${STATE_BADGE[p.state]}`}>{p.state}</span>
                {operate && p.state === "proposed" && (
                  <>
                    <button
                      type="button"
                      class="link"
                      onClick={() => {
                        setNote("");
                        setPending({ decision: "confirm", p });
                      }}
                    >
                      Confirm
                    </button>{" "}
                    <button
                      type="button"
                      class="link"
                      onClick={() => setPending({ decision: "dismiss", p })}
                    >
                      Dismiss
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </Grid>
      )}
      {pending && (
        <ReasonDialog
          title={
            pending.decision === "confirm"
              ? "Confirm as an adjustment"
              : "Dismiss the proposed adjustment"
          }
          confirm={pending.decision === "confirm" ? "Confirm" : "Dismiss"}
          onConfirm={decide}
          onClose={() => setPending(null)}
        >
          <p class="hint">
            {operationKind(pending.p)} of {fmtMoney(pending.p.amount)}, ticket {pending.p.ticket},
            booked {fmtTime(pending.p.at)}.{" "}
            {pending.decision === "confirm"
              ? "Recorded as an adjustment: the initial balance, high-water mark and day start shift by it."
              : "Kept and audited, never applied."}
          </p>
          {pending.decision === "confirm" && (
            <>
              <label for="proposal-note">
                Note (optional; by default its type, ticket and time)
              </label>
              <input
                id="proposal-note"
                maxLength={500}
                value={note}
                onInput={(e) => setNote((e.target as HTMLInputElement).value)}
              />
            </>
          )}
        </ReasonDialog>
      )}
    </div>
  );
}
