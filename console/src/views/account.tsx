/**
 * Account (docs/console.md, "Account"): figures, the equity curve of the period with its floors and
 * violations, rules (with versions where the server has them), objectives, adjustments,
 * audit, and the actions the role may take, each asking for a reason.
 */
import { useState } from "preact/hooks";
import { api, get, getOptional, query } from "../api.ts";
import { EquityChart } from "../components/equity-chart.tsx";
import { ShareLinks } from "../components/share-links.tsx";
import { VIOLATION_COLUMNS, ViolationCells } from "../components/violation-cells.tsx";
import { Grid, num } from "../components/grid.tsx";
import { ReasonDialog } from "../components/reason-dialog.tsx";
import { UsageBars } from "../components/usage-bars.tsx";
import { fmtAge, fmtMoney, fmtPct, fmtTime } from "../format.ts";
import { useNow, usePoll } from "../poll.ts";
import { canOperate } from "../roles.ts";
import type { Account, EquityPoint, Page, Role, Violation } from "../types.ts";

const PERIODS = { day: 86_400_000, week: 7 * 86_400_000, all: null } as const;
type Period = keyof typeof PERIODS;

interface RulesVersion {
  version: number;
  rules: unknown;
  effective_from: string;
  actor?: string;
  reason?: string | null;
}
interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  reason: string | null;
}
interface Adjustment {
  id?: number;
  amount: number;
  note?: string | null;
  at?: string;
  created_at?: string;
}

type Action = "reset" | "live" | "release" | "poll" | "adjust";

export function AccountView({ id, role }: { id: number; role: Role }) {
  const [period, setPeriod] = useState<Period>("day");
  const [action, setAction] = useState<Action | null>(null);
  const [amount, setAmount] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow();

  const account = usePoll(() => get<Account>(`/v1/accounts/${id}`), 2000, [id]);
  const equity = usePoll(
    () => {
      const span = PERIODS[period];
      const from = new Date(span === null ? 0 : Date.now() - span).toISOString();
      return get<{ items: EquityPoint[] }>(`/v1/accounts/${id}/equity${query({ from })}`);
    },
    5000,
    [id, period],
  );
  const violations = usePoll(
    () => get<Page<Violation>>(`/v1/accounts/${id}/violations?limit=100`),
    5000,
    [id],
  );
  const extras = usePoll(
    async () => {
      const [rules, audit, adjustments] = await Promise.all([
        getOptional<{ items: RulesVersion[] }>(`/v1/accounts/${id}/rules`),
        getOptional<Page<AuditEntry>>(`/v1/audit${query({ account_id: id, limit: 50 })}`),
        getOptional<{ items: Adjustment[] }>(`/v1/accounts/${id}/adjustments`),
      ]);
      return { rules, audit, adjustments };
    },
    15_000,
    [id],
  );

  const a = account.data;
  if (account.error && !a)
    return (
      <p class="error">
        Could not load account {id}: {account.error.message}
      </p>
    );
  if (!a) return <p class="loading">Loading account {id}...</p>;
  const m = a.metrics;

  const run = async (reason: string) => {
    const body = { reason };
    const r = encodeURIComponent(reason);
    if (action === "reset") await api("POST", `/v1/accounts/${id}/reset`, body);
    if (action === "live") await api("POST", `/v1/accounts/${id}/live`, body);
    if (action === "release") await api("DELETE", `/v1/accounts/${id}/live?reason=${r}`);
    if (action === "poll") await api("POST", "/v1/poll", { account_ids: [id], reason });
    if (action === "adjust")
      await api("POST", `/v1/accounts/${id}/adjustments`, {
        amount: Number(amount),
        note: reason,
        reason,
      });
    setNotice(`${action} done`);
    account.reload();
    equity.reload();
    extras.reload();
  };
  const operate = canOperate(role);

  return (
    <section aria-labelledby="account-title" data-account-id={a.id}>
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
        {a.problem && <span class="badge problem">{a.problem}</span>}
      </div>

      {operate && (
        <div class="actions-bar" aria-label="Actions">
          {a.status === "breached" && (
            <button type="button" onClick={() => setAction("reset")}>
              Reset
            </button>
          )}
          {a.status === "active" && a.monitoring_state === "polling" && (
            <button type="button" onClick={() => setAction("live")}>
              Force live
            </button>
          )}
          {a.status === "active" && a.monitoring_state === "live" && (
            <button type="button" onClick={() => setAction("release")}>
              Release live
            </button>
          )}
          {a.status === "active" && (
            <button type="button" onClick={() => setAction("poll")}>
              Poll now
            </button>
          )}
          <button type="button" onClick={() => setAction("adjust")}>
            Record adjustment
          </button>
          {notice && <span class="muted">{notice}</span>}
        </div>
      )}

      <dl class="figures">
        <div>
          <dt>Equity</dt>
          <dd>{fmtMoney(m?.equity)}</dd>
        </div>
        <div>
          <dt>Balance</dt>
          <dd>{fmtMoney(m?.balance)}</dd>
        </div>
        <div>
          <dt>Daily floor</dt>
          <dd>{fmtMoney(m?.daily_floor)}</dd>
        </div>
        <div>
          <dt>Max floor</dt>
          <dd>{fmtMoney(m?.max_floor)}</dd>
        </div>
        <div>
          <dt>To floor</dt>
          <dd class={(a.distance_to_floor ?? 1) < 0 ? "neg" : ""}>
            {fmtMoney(a.distance_to_floor)}
          </dd>
        </div>
        <div class="wide">
          <dt>Usage</dt>
          <dd>
            {m ? (
              <UsageBars daily={m.usage.daily} max={m.usage.max} liveAt={a.rules.live_enter_pct} />
            ) : (
              "-"
            )}
          </dd>
        </div>
        <div>
          <dt>Trading day</dt>
          <dd>{m?.trading_day ?? "-"}</dd>
        </div>
        <div>
          <dt>Reading</dt>
          <dd>{m ? `${fmtAge(m.updated_at, now)} ago (${m.source})` : "-"}</dd>
        </div>
      </dl>

      <div class="toolbar">
        <h2>Equity</h2>
        <div role="tablist" aria-label="Period" class="tabs">
          {(Object.keys(PERIODS) as Period[]).map((p) => (
            <button
              type="button"
              role="tab"
              aria-selected={p === period}
              onClick={() => setPeriod(p)}
            >
              {p}
            </button>
          ))}
        </div>
        <span class="muted">
          {equity.data ? `${equity.data.items.length} readings` : "loading"}
        </span>
      </div>
      {equity.data && equity.data.items.length > 0 ? (
        <EquityChart points={equity.data.items} violations={violations.data?.items ?? []} />
      ) : (
        <p class="muted chart-empty">
          {equity.data ? "No readings in this period." : "Loading chart..."}
        </p>
      )}

      <div class="columns">
        <div>
          <h2>Violations</h2>
          <Grid
            compact
            columns={["Detected", ...VIOLATION_COLUMNS, ""]}
            empty={violations.data?.items.length === 0}
          >
            {(violations.data?.items ?? []).map((v) => (
              <tr key={v.id}>
                <td>{fmtTime(v.detected_at)}</td>
                <ViolationCells v={v} />
                <td>
                  <a
                    href={`/v1/violations/${v.id}/report?format=html`}
                    target="_blank"
                    rel="noopener"
                    data-report-link={v.id}
                  >
                    Report
                  </a>
                </td>
              </tr>
            ))}
          </Grid>

          <h2>Share links</h2>
          <ShareLinks accountId={a.id} operate={operate} />

          <h2>Audit</h2>
          {extras.data?.audit ? (
            <Grid
              compact
              columns={["At", "Actor", "Action", "Reason"]}
              empty={extras.data.audit.items.length === 0}
            >
              {extras.data.audit.items.map((e) => (
                <tr key={e.id}>
                  <td>{fmtTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>{e.reason ?? ""}</td>
                </tr>
              ))}
            </Grid>
          ) : (
            <p class="muted">
              {extras.data ? "This server has no audit trail yet." : "Loading..."}
            </p>
          )}
        </div>
        <div>
          <h2>Rules</h2>
          <RulesSummary account={a} />
          {extras.data?.rules && (
            <Grid
              compact
              columns={["Version", "From", "By", "Reason"]}
              empty={extras.data.rules.items.length === 0}
            >
              {extras.data.rules.items.map((r) => (
                <tr key={r.version}>
                  <td>v{r.version}</td>
                  <td>{fmtTime(r.effective_from)}</td>
                  <td>{r.actor ?? ""}</td>
                  <td>{r.reason ?? ""}</td>
                </tr>
              ))}
            </Grid>
          )}
          <h2>Objectives</h2>
          <Objectives account={a} />
          <h2>Adjustments</h2>
          {extras.data?.adjustments ? (
            <Grid
              compact
              columns={["At", num("Amount"), "Note"]}
              empty={extras.data.adjustments.items.length === 0}
            >
              {extras.data.adjustments.items.map((j, i) => (
                <tr key={j.id ?? i}>
                  <td>{fmtTime(j.at ?? j.created_at)}</td>
                  <td class="num">{fmtMoney(j.amount)}</td>
                  <td>{j.note ?? ""}</td>
                </tr>
              ))}
            </Grid>
          ) : (
            <p class="muted">
              {extras.data ? "This server does not record adjustments yet." : "Loading..."}
            </p>
          )}
        </div>
      </div>

      {action && (
        <ReasonDialog
          title={
            {
              reset: "Reset account",
              live: "Force live monitoring",
              release: "Release live monitoring",
              poll: "Poll now",
              adjust: "Record an adjustment",
            }[action]
          }
          confirm={
            {
              reset: "Reset",
              live: "Force live",
              release: "Release",
              poll: "Poll",
              adjust: "Record",
            }[action]
          }
          onConfirm={run}
          onClose={() => setAction(null)}
        >
          {action === "adjust" && (
            <>
              <label for="amount">Amount (account currency; negative for a withdrawal)</label>
              <input
                id="amount"
                type="number"
                step="0.01"
                required
                value={amount}
                onInput={(e) => setAmount((e.target as HTMLInputElement).value)}
              />
            </>
          )}
        </ReasonDialog>
      )}
    </section>
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
