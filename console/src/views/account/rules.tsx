/** The account's rules (with their versions where the server has them), objectives and adjustments. */
import { Grid, num } from "../../components/grid.tsx";
import { fmtMoney, fmtPct, fmtTime } from "../../format.ts";
import type { Account, Adjustment, RulesVersion } from "../../types.ts";

/**
 * The rules in force, then their versions; `versions` null when the server keeps none (an
 * older server), undefined while loading.
 */
export function RulesSection(props: {
  account: Account;
  versions: RulesVersion[] | null | undefined;
}) {
  const { account, versions } = props;
  return (
    <>
      <h2>Rules</h2>
      <RulesSummary account={account} />
      {versions && (
        <Grid compact columns={["Version", "From", "By", "Reason"]} empty={versions.length === 0}>
          {versions.map((r) => (
            <tr key={r.version}>
              <td>v{r.version}</td>
              <td>{fmtTime(r.effective_from)}</td>
              <td>{r.actor ?? ""}</td>
              <td>{r.reason ?? ""}</td>
            </tr>
          ))}
        </Grid>
      )}
    </>
  );
}

function RulesSummary({ account }: { account: Account }) {
  const r = account.rules;
  const unit = (u: string) => (u === "percent" ? "%" : "");
  return (
    <dl class="kv">
      <dt>Initial balance</dt>
      <dd>{fmtMoney(r.initial_balance)}</dd>
      <dt>Daily loss</dt>
      <dd>
        {r.daily_loss.limit}
        {unit(r.daily_loss.unit)} of {r.daily_loss.basis.replace("_", " ")}, reset{" "}
        {String(r.daily_reset.hour).padStart(2, "0")}:00 {r.daily_reset.timezone}
      </dd>
      <dt>Max loss</dt>
      <dd>
        {r.max_loss.limit}
        {unit(r.max_loss.unit)} {r.max_loss.mode}
        {r.max_loss.lock_at_initial ? ", locks at initial" : ""}
      </dd>
      <dt>Live band</dt>
      <dd>
        enter {r.live_enter_pct}%, exit {r.live_exit_pct}%
      </dd>
    </dl>
  );
}

/** Objectives progress where the account has objectives (risk rules v2); else says so. */
export function ObjectivesSection({ account }: { account: Account }) {
  return (
    <>
      <h2>Objectives</h2>
      <Objectives account={account} />
    </>
  );
}

function Objectives({ account }: { account: Account }) {
  const objectives = (account as unknown as { objectives?: Record<string, unknown> | null })
    .objectives;
  const target = (account.rules as { profit_target?: { limit: number; unit: string } })
    .profit_target;
  if (!objectives && !target) return <p class="muted">No objectives set for this account.</p>;
  if (target && account.metrics) {
    const goal =
      target.unit === "percent"
        ? (account.rules.initial_balance * target.limit) / 100
        : target.limit;
    const made = account.metrics.balance - account.rules.initial_balance;
    const pct = Math.max(0, Math.min(100, (made / goal) * 100));
    return (
      <div class="bar" title={`profit ${fmtMoney(made)} of ${fmtMoney(goal)}`}>
        <span class="bar-label">Profit</span>
        <span class="bar-track">
          <span class="bar-fill ok" style={{ width: `${pct}%` }} />
        </span>
        <span class="bar-value">{fmtPct(pct)}</span>
      </div>
    );
  }
  return <pre class="json">{JSON.stringify(objectives, null, 2)}</pre>;
}

/**
 * The account's balance adjustments; `adjustments` null when the server records none (an
 * older server), undefined while loading.
 */
export function AdjustmentsSection(props: { adjustments: Adjustment[] | null | undefined }) {
  const { adjustments } = props;
  return (
    <div id="adjustments">
      <h2>Adjustments</h2>
      {adjustments ? (
        <Grid compact columns={["At", num("Amount"), "Note"]} empty={adjustments.length === 0}>
          {adjustments.map((j, i) => (
            <tr key={j.id ?? i} data-adjustment={j.id}>
              <td>{fmtTime(j.created_at)}</td>
              <td class="num">{fmtMoney(j.amount)}</td>
              <td>{j.note ?? ""}</td>
            </tr>
          ))}
        </Grid>
      ) : (
        <p class="muted">
          {adjustments === null ? "This server does not record adjustments yet." : "Loading..."}
        </p>
      )}
    </div>
  );
}
