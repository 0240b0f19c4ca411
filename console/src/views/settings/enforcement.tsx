/**
 * The deployment's enforcement (docs/console.md, "Settings"; docs/enforcement.md, "API"): its
 * ceiling (`ENFORCEMENT`), whether it is halted (by whom, when, why) and the mode that applies.
 * Every role sees it; only admins get the switch, which asks for a reason and a confirmation:
 * a halt stops every step not yet sent and holds the deployment at dry_run until resumed.
 */
import { useState } from "preact/hooks";
import { api, get } from "../../api.ts";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { fmtTime } from "../../format.ts";
import { usePoll } from "../../poll.ts";
import type { EnforcementState } from "../../types.ts";

export function EnforcementSwitch({ administer }: { administer: boolean }) {
  const state = usePoll(() => get<EnforcementState>("/v1/enforcement"), 5000, []);
  const [asking, setAsking] = useState(false);
  const s = state.data;
  return (
    <div id="enforcement-state" data-halted={s ? String(s.halted) : undefined}>
      <h2>Enforcement</h2>
      {!s && <p class="muted">{state.error ? state.error.message : "Loading..."}</p>}
      {s && (
        <>
          <dl class="kv">
            <dt>Ceiling</dt>
            <dd data-testid="enforcement-ceiling">{s.deployment}</dd>
            <dt>Halt</dt>
            <dd data-testid="enforcement-halt">
              {s.halted ? (
                <span class="badge problem">halted</span>
              ) : (
                <span class="badge active">running</span>
              )}
              {s.at && (
                <span class="muted">
                  {s.halted ? "halted" : "resumed"} by {s.actor} at {fmtTime(s.at)}
                  {s.reason ? `: ${s.reason}` : ""}
                </span>
              )}
            </dd>
            <dt>Applies</dt>
            <dd data-testid="enforcement-effective">{s.effective}</dd>
          </dl>
          {administer && (
            <p>
              <button
                type="button"
                id="halt-switch"
                class={s.halted ? "" : "danger"}
                onClick={() => setAsking(true)}
              >
                {s.halted ? "Resume enforcement" : "Halt enforcement"}
              </button>
            </p>
          )}
        </>
      )}
      {asking && s && (
        <ReasonDialog
          title={s.halted ? "Resume enforcement?" : "Halt enforcement?"}
          confirm={s.halted ? "Resume" : "Halt"}
          onConfirm={async (reason) => {
            await api("POST", `/v1/enforcement/${s.halted ? "resume" : "halt"}`, { reason });
            state.reload();
          }}
          onClose={() => setAsking(false)}
        >
          <p class="hint">
            {s.halted
              ? `Actions resume at the deployment's ceiling (${s.deployment}).`
              : "Every step not yet sent stops, and the deployment stays at dry_run until someone resumes it. Steps already sent are still settled."}
          </p>
        </ReasonDialog>
      )}
    </div>
  );
}
