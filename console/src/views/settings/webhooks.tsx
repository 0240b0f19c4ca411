/** Webhooks (admin): endpoints, their recent deliveries, and a test send (operators). */
import { useState } from "preact/hooks";
import { api, getOptional, query } from "../../api.ts";
import { Grid } from "../../components/grid.tsx";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { fmtTime } from "../../format.ts";
import { usePoll } from "../../poll.ts";
import { canOperate } from "../../roles.ts";
import type { Role, Webhook, WebhookAttempt } from "../../types.ts";

export function Webhooks({ role }: { role: Role }) {
  const hooks = usePoll(() => getOptional<{ items: Webhook[] }>("/v1/webhooks"), null, []);
  const [open, setOpen] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const deliveries = usePoll(
    () =>
      open === null
        ? Promise.resolve(null)
        : getOptional<{ items: WebhookAttempt[] }>(`/v1/webhooks/${open}/deliveries?limit=50`),
    open === null ? null : 5000,
    [open],
  );
  if (hooks.at !== null && hooks.data === null) {
    return (
      <div>
        <h2>Webhooks</h2>
        <p class="muted">This server has no webhooks yet.</p>
      </div>
    );
  }
  const test = async (id: number) => {
    try {
      await api("POST", `/v1/webhooks/${id}/test`, {});
      setNotice(`test sent to webhook ${id}`);
      deliveries.reload();
    } catch (err) {
      setNotice(`test failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <div>
      <h2>Webhooks</h2>
      {notice && <p class="muted">{notice}</p>}
      <Grid compact columns={["URL", "Events", "On", ""]} empty={hooks.data?.items.length === 0}>
        {(hooks.data?.items ?? []).map((w) => (
          <tr key={w.id} class={w.id === open ? "selected" : ""}>
            <td class="mono">
              <button
                type="button"
                class="link"
                onClick={() => setOpen(w.id === open ? null : w.id)}
              >
                {w.url}
              </button>
            </td>
            <td>{w.events.join(", ")}</td>
            <td>{w.enabled === false ? "off" : "on"}</td>
            <td>
              {canOperate(role) && (
                <button type="button" onClick={() => test(w.id)}>
                  Test
                </button>
              )}
            </td>
          </tr>
        ))}
      </Grid>
      {open !== null && (
        <>
          <h2>Recent deliveries</h2>
          <Grid
            compact
            columns={["At", "Event", "Status", "Duration"]}
            empty={deliveries.data?.items.length === 0}
          >
            {(deliveries.data?.items ?? []).map((d) => (
              <tr key={d.id}>
                <td>{fmtTime(d.at)}</td>
                <td>{d.type}</td>
                <td>{d.error ?? String(d.status_code ?? d.outcome)}</td>
                <td>{`${d.duration_ms} ms`}</td>
              </tr>
            ))}
          </Grid>
        </>
      )}
    </div>
  );
}
