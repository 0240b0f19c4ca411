/** The account's title line and, for operators, the actions its state allows (views/account.tsx). */
import { ProblemBadge } from "../../components/problem-badge.tsx";
import { useNow } from "../../poll.ts";
import type { Account } from "../../types.ts";
import type { Action } from "./action-dialog.tsx";

export function AccountHeader({ account: a }: { account: Account }) {
  const now = useNow();
  return (
    <div class="toolbar">
      <a href="#/" class="quiet">
        ← At risk
      </a>
      <h1 id="account-title">{a.label ?? `Account ${a.id}`}</h1>
      <span class="mono muted">
        {a.login}@{a.server} · #{a.id} · {a.preset ?? "custom"}
      </span>
      <span class={`badge ${a.monitoring_state}`}>{a.monitoring_state}</span>
      <span class={`badge ${a.status}`} data-testid="account-status">
        {a.status}
      </span>
      <ProblemBadge problem={a.problem} since={a.problem_since} now={now} />
    </div>
  );
}

/** The operator's actions: those the account's status and monitoring state allow. */
export function ActionsBar(props: {
  account: Account;
  notice: string | null;
  onAction: (action: Action) => void;
}) {
  const { account: a, notice, onAction } = props;
  return (
    <div class="actions-bar" aria-label="Actions">
      {a.status === "breached" && (
        <button type="button" onClick={() => onAction("reset")}>
          Reset
        </button>
      )}
      {a.status === "active" && a.monitoring_state === "polling" && (
        <button type="button" onClick={() => onAction("live")}>
          Force live
        </button>
      )}
      {a.status === "active" && a.monitoring_state === "live" && (
        <button type="button" onClick={() => onAction("release")}>
          Release live
        </button>
      )}
      {a.status === "active" && (
        <button type="button" onClick={() => onAction("poll")}>
          Poll now
        </button>
      )}
      <button type="button" onClick={() => onAction("adjust")}>
        Record adjustment
      </button>
      {notice && <span class="muted">{notice}</span>}
    </div>
  );
}
