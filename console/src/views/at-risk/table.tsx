/** The accounts by usage, highest first: one row each, the selected one marked (j/k, Enter). */
import { ProblemBadge } from "../../components/problem-badge.tsx";
import { UsageBars } from "../../components/usage-bars.tsx";
import { fmtAge, fmtMoney } from "../../format.ts";
import { go } from "../../router.ts";
import type { Account } from "../../types.ts";

export function AccountsTable(props: {
  rows: Account[];
  selected: number;
  /** False until the first page came: "No accounts match." only after it. */
  loaded: boolean;
  now: number;
}) {
  const { rows, selected, loaded, now } = props;
  return (
    <table class="grid" aria-label="Accounts by usage">
      <thead>
        <tr>
          <th>Account</th>
          <th>Login@server</th>
          <th>Preset</th>
          <th class="usage-col">Usage (daily / max)</th>
          <th class="num">To floor</th>
          <th>Watch</th>
          <th class="num">Reading</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a, i) => (
          <tr
            key={a.id}
            data-account-id={a.id}
            data-status={a.status}
            class={i === selected ? "selected" : ""}
            onClick={() => go(`#/account/${a.id}`)}
          >
            <td>
              <a href={`#/account/${a.id}`}>{a.label ?? `#${a.id}`}</a>
            </td>
            <td class="mono">
              {a.login}@{a.server}
            </td>
            <td>{a.preset ?? "custom"}</td>
            <td>
              {a.metrics ? (
                <UsageBars
                  daily={a.metrics.usage.daily}
                  max={a.metrics.usage.max}
                  liveAt={a.rules.live_enter_pct}
                />
              ) : (
                <span class="muted">no reading</span>
              )}
            </td>
            <td class={`num ${(a.distance_to_floor ?? 1) < 0 ? "neg" : ""}`}>
              {fmtMoney(a.distance_to_floor)}
            </td>
            <td>
              <span class={`badge ${a.monitoring_state}`}>{a.monitoring_state}</span>
            </td>
            <td class="num">{fmtAge(a.metrics?.updated_at, now)}</td>
            <td>
              {a.status !== "active" && <span class={`badge ${a.status}`}>{a.status}</span>}
              <ProblemBadge problem={a.problem} since={a.problem_since} now={now} />
            </td>
          </tr>
        ))}
        {loaded && rows.length === 0 && (
          <tr>
            <td colSpan={8} class="muted">
              No accounts match.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
