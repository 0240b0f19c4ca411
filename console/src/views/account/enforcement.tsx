/**
 * The account's enforcement (docs/console.md, "Account"; docs/enforcement.md, "API"): its own
 * setting and the mode that applies (the lower of it and the deployment's ceiling, `dry_run`
 * while halted), the lock, and each action with its steps, newest first. Admins change the
 * setting (`PATCH /v1/accounts/{id}/enforcement`, with a reason).
 */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { api, get } from "../../api.ts";
import { Grid, num } from "../../components/grid.tsx";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { fmtMoney, fmtTime } from "../../format.ts";
import { usePoll } from "../../poll.ts";
import type {
  AccountEnforcement,
  EnforcementAction,
  EnforcementMode,
  EnforcementState,
} from "../../types.ts";

const MODES: EnforcementMode[] = ["off", "dry_run", "on"];

export function EnforcementSection({
  accountId,
  administer,
}: {
  accountId: number;
  administer: boolean;
}) {
  const data = usePoll(
    async () => {
      const [account, deployment] = await Promise.all([
        get<AccountEnforcement>(`/v1/accounts/${accountId}/enforcement`),
        get<EnforcementState>("/v1/enforcement"),
      ]);
      return { account, deployment };
    },
    5000,
    [accountId],
  );
  const [want, setWant] = useState<EnforcementMode | null>(null);
  const e = data.data?.account;
  const d = data.data?.deployment;
  return (
    <div id="enforcement">
      <h2>Enforcement</h2>
      {!e && <p class="muted">{data.error ? data.error.message : "Loading..."}</p>}
      {e && (
        <>
          <dl class="kv">
            <dt>Setting</dt>
            <dd data-testid="enforcement-setting">
              {administer ? (
                <select
                  aria-label="Account enforcement"
                  value={e.enforcement}
                  onChange={(ev) => {
                    const v = (ev.target as HTMLSelectElement).value as EnforcementMode;
                    (ev.target as HTMLSelectElement).value = e.enforcement;
                    if (v !== e.enforcement) setWant(v);
                  }}
                >
                  {MODES.map((m) => (
                    <option value={m}>{m}</option>
                  ))}
                </select>
              ) : (
                e.enforcement
              )}{" "}
              <span class="muted">applies: </span>
              <span class={`badge ${e.effective === "on" ? "problem" : ""}`}>{e.effective}</span>
            </dd>
            <dt>Deployment</dt>
            <dd data-testid="enforcement-deployment">
              ceiling {d?.deployment ?? "-"}
              {d?.halted && <span class="badge problem">halted</span>}{" "}
              <a href="#/settings">settings</a>
            </dd>
            <dt>Lock</dt>
            <dd data-testid="lock">
              {e.locked_at ? (
                <span class="badge problem">
                  locked ({e.lock_rule ?? "?"}) since {fmtTime(e.locked_at)}
                  {e.locked_until ? `, until ${fmtTime(e.locked_until)}` : ", until a reset"}
                </span>
              ) : (
                <span class="muted">not locked</span>
              )}
            </dd>
          </dl>
          <Actions actions={e.actions} />
        </>
      )}
      {want && (
        <ReasonDialog
          title={`Set this account's enforcement to ${want}`}
          confirm="Set"
          onConfirm={async (reason) => {
            await api("PATCH", `/v1/accounts/${accountId}/enforcement`, {
              enforcement: want,
              reason,
            });
            data.reload();
          }}
          onClose={() => setWant(null)}
        >
          <p class="hint">
            The lower of this and the deployment's ceiling applies; a halt holds it at dry_run.
          </p>
        </ReasonDialog>
      )}
    </div>
  );
}

function Actions({ actions }: { actions: EnforcementAction[] }) {
  return (
    <Grid
      compact
      label="Enforcement actions, newest first"
      columns={[
        "Started",
        "Kind",
        "Rule",
        "State",
        num("Equity before"),
        num("After"),
        num("Slippage"),
        "Finished",
      ]}
      empty={actions.length === 0}
      emptyText="No actions."
    >
      {actions.map((a) => (
        <Fragment key={a.id}>
          <tr data-action-id={a.id} data-action-state={a.state}>
            <td>{fmtTime(a.started_at)}</td>
            <td>
              {a.kind}
              {a.dry_run && <span class="badge"> dry run</span>}
            </td>
            <td>
              {a.rule ?? "-"}
              {a.violation_id !== null ? ` (#${a.violation_id})` : ""}
            </td>
            <td>
              <span class={`badge ${a.state === "failed" ? "problem" : ""}`}>{a.state}</span>
              {a.failure && <span class="error"> {a.failure}</span>}
            </td>
            <td class="num">{fmtMoney(a.equity_before)}</td>
            <td class="num">{fmtMoney(a.equity_after)}</td>
            <td class="num">{fmtMoney(a.slippage)}</td>
            <td>{fmtTime(a.finished_at)}</td>
          </tr>
          <tr class="sub">
            <td colSpan={8}>
              {a.steps.length === 0 ? (
                <span class="muted">No steps (nothing was open).</span>
              ) : (
                <table class="steps" aria-label={`Steps of action ${a.id}`}>
                  <tbody>
                    {a.steps.map((s) => (
                      <tr key={s.ticket} data-step-ticket={s.ticket}>
                        <td class="mono">{s.ticket}</td>
                        <td>{s.action}</td>
                        <td>{s.symbol}</td>
                        <td>{s.state}</td>
                        <td class="num">{s.close_price ?? "-"}</td>
                        <td class="num">{fmtMoney(s.profit)}</td>
                        <td class="muted">
                          {s.sends} send{s.sends === 1 ? "" : "s"}
                          {s.settled_by ? `, ${s.settled_by}` : ""}
                        </td>
                        <td class="error">{s.error ?? ""}</td>
                        <td>{fmtTime(s.at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </td>
          </tr>
        </Fragment>
      ))}
    </Grid>
  );
}
