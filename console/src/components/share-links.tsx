/**
 * An account's share links on its console page (docs/trader-page.md, "Share links"): the list
 * (state, expiry, who made it), and for operators, making one (the link is shown once, to be
 * copied) and revoking one, each asking for a reason.
 */
import { useState } from "preact/hooks";
import { api, get } from "../api.ts";
import { fmtTime } from "../format.ts";
import { usePoll } from "../poll.ts";
import type { Share, ShareCreated } from "../types.ts";
import { Grid } from "./grid.tsx";
import { ReasonDialog } from "./reason-dialog.tsx";

type Pending = { kind: "create" } | { kind: "revoke"; id: number };

export function ShareLinks({ accountId, operate }: { accountId: number; operate: boolean }) {
  const list = usePoll(() => get<{ items: Share[] }>(`/v1/accounts/${accountId}/shares`), 15_000, [
    accountId,
  ]);
  const [pending, setPending] = useState<Pending | null>(null);
  const [days, setDays] = useState("30");
  const [made, setMade] = useState<string | null>(null);

  const run = async (reason: string) => {
    if (pending?.kind === "create") {
      const res = await api<ShareCreated>("POST", `/v1/accounts/${accountId}/shares`, {
        expires_in_days: Number(days),
        reason,
      });
      setMade(res.url);
    } else if (pending?.kind === "revoke") {
      await api(
        "DELETE",
        `/v1/accounts/${accountId}/shares/${pending.id}?reason=${encodeURIComponent(reason)}`,
      );
    }
    list.reload();
  };

  return (
    <div id="share-links">
      {made && (
        <div class="notice" role="status">
          <p>Copy this link now: it is not shown again.</p>
          <input
            readOnly
            id="share-url"
            value={made}
            onFocus={(e) => (e.target as HTMLInputElement).select()}
          />
          <button type="button" onClick={() => void navigator.clipboard?.writeText(made)}>
            Copy
          </button>{" "}
          <button type="button" class="quiet" onClick={() => setMade(null)}>
            Done
          </button>
        </div>
      )}
      <Grid
        compact
        columns={["Made", "By", "Expires", "State", ""]}
        empty={list.data?.items.length === 0}
      >
        {(list.data?.items ?? []).map((s) => (
          <tr key={s.id} data-share-id={s.id}>
            <td>{fmtTime(s.created_at)}</td>
            <td>{s.created_by}</td>
            <td>{fmtTime(s.expires_at)}</td>
            <td>{s.state}</td>
            <td>
              {operate && s.state === "active" && (
                <button
                  type="button"
                  class="link"
                  onClick={() => setPending({ kind: "revoke", id: s.id })}
                >
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </Grid>
      {operate && (
        <button type="button" onClick={() => setPending({ kind: "create" })}>
          Share with the trader
        </button>
      )}
      {pending && (
        <ReasonDialog
          title={pending.kind === "create" ? "Share this account with its trader" : "Revoke link"}
          confirm={pending.kind === "create" ? "Make link" : "Revoke"}
          onConfirm={run}
          onClose={() => setPending(null)}
        >
          {pending.kind === "create" && (
            <>
              <label for="share-days">Days until it expires (1-90)</label>
              <input
                id="share-days"
                type="number"
                min={1}
                max={90}
                step={1}
                required
                value={days}
                onInput={(e) => setDays((e.target as HTMLInputElement).value)}
              />
            </>
          )}
        </ReasonDialog>
      )}
    </div>
  );
}
