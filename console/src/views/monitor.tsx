/**
 * Monitor (docs/console.md, "Monitor"): per shard the link, subscriptions, events per second over
 * the last 15 minutes, pending writes; dead letters (with retry) and coverage where the
 * server reports them. The rate comes from successive `events.received` samples taken every
 * 2 s while the view is open (the server keeps totals only).
 */
import { Grid } from "../components/grid.tsx";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get, getOptional } from "../api.ts";
import { HealthBanner } from "../components/health-banner.tsx";
import { RateChart } from "../components/rate-chart.tsx";
import { fmtAge, fmtInt } from "../format.ts";
import { useNow, usePoll } from "../poll.ts";
import { canOperate } from "../roles.ts";
import { rates, shardsOf } from "../monitor-rates.ts";
import type { MonitorStatus, Role } from "../types.ts";

const SAMPLE_MS = 2000;
const WINDOW_S = 15 * 60;

interface DeadLetter {
  id: number | string;
  /** The shard that holds it (ids are per shard). */
  shard?: number;
  error?: string;
  created_at?: string;
  [key: string]: unknown;
}

export function MonitorView({ role }: { role: Role }) {
  const now = useNow();
  const history = useRef(new Map<number, Array<{ t: number; n: number }>>());
  const [, setTick] = useState(0);
  const status = usePoll(() => get<MonitorStatus>("/v1/monitor"), SAMPLE_MS, []);
  const dead = usePoll(
    () => getOptional<{ items: DeadLetter[] }>("/v1/monitor/dead-letters"),
    10_000,
    [],
  );

  useEffect(() => {
    if (!status.data || status.at === null) return;
    for (const s of shardsOf(status.data)) {
      const list = history.current.get(s.shard) ?? [];
      list.push({ t: status.at, n: s.events.received });
      while (list.length && list[0]!.t < status.at - WINDOW_S * 1000) list.shift();
      history.current.set(s.shard, list);
    }
    setTick((t) => t + 1);
  }, [status.at]);

  const m = status.data;
  if (!m)
    return (
      <p class="loading">
        {status.error
          ? `Could not read the monitor: ${status.error.message}`
          : "Loading monitor..."}
      </p>
    );

  const retry = async (d: DeadLetter) => {
    const shard = d.shard === undefined ? "" : `?shard=${d.shard}`;
    await api("POST", `/v1/monitor/dead-letters/${d.id}/retry${shard}`, {});
    dead.reload();
  };

  return (
    <section aria-labelledby="monitor-title">
      <HealthBanner monitor={m} />
      <div class="toolbar">
        <h1 id="monitor-title">Monitor</h1>
        <span class={`badge ${m.health === "degraded" ? "breached" : "live"}`}>
          {m.health ?? (m.connection.state === "open" ? "ok" : m.connection.state)}
        </span>
        <span class="muted">
          {fmtInt(m.subscriptions)} subscriptions · {fmtInt(m.events.received)} events received ·{" "}
          {fmtInt(m.pending_writes)} pending writes
        </span>
      </div>
      <div class="cards">
        {shardsOf(m).map((s) => {
          const series = rates(history.current.get(s.shard) ?? []);
          const last = series.ys[series.ys.length - 1];
          return (
            <article class="card" key={s.shard} data-shard={s.shard}>
              <h2>Shard {s.shard}</h2>
              <dl class="kv">
                <dt>Link</dt>
                <dd>
                  <span class={`badge ${s.connection.state === "open" ? "live" : "breached"}`}>
                    {s.connection.state}
                  </span>{" "}
                  {s.connection.connected_since
                    ? `since ${fmtAge(s.connection.connected_since, now)}`
                    : ""}
                </dd>
                <dt>Reconnects</dt>
                <dd>{fmtInt(s.connection.reconnects)}</dd>
                <dt>Last message</dt>
                <dd>
                  {s.connection.last_message_at
                    ? `${fmtAge(s.connection.last_message_at, now)} ago`
                    : "-"}
                </dd>
                <dt>Subscriptions</dt>
                <dd>{fmtInt(s.subscriptions)}</dd>
                <dt>Events/s</dt>
                <dd data-testid="rate">{last === undefined ? "measuring..." : last.toFixed(1)}</dd>
                <dt>Applied / invalid</dt>
                <dd>
                  {fmtInt(s.events.applied)} /{" "}
                  {fmtInt(typeof s.events.invalid === "number" ? s.events.invalid : null)}
                </dd>
                <dt>Pending writes</dt>
                <dd>
                  {fmtInt(s.pending_writes)}
                  {s.oldest_pending_s ? ` (oldest ${s.oldest_pending_s}s)` : ""}
                </dd>
              </dl>
              <RateChart xs={series.xs} ys={series.ys} />
            </article>
          );
        })}
        <article class="card">
          <h2>Coverage</h2>
          {m.coverage ? (
            <dl class="kv">
              <dt>Longest unwatched</dt>
              <dd>{fmtInt(m.coverage.max_unwatched_s)} s</dd>
              <dt>Stale accounts</dt>
              <dd>{fmtInt(m.coverage.accounts_stale)}</dd>
            </dl>
          ) : (
            <p class="muted">This server does not report coverage yet.</p>
          )}
          <h2>Dead letters</h2>
          {dead.data ? (
            <Grid compact columns={["Id", "Error", ""]} empty={dead.data.items.length === 0}>
              {dead.data.items.slice(0, 200).map((d) => (
                <tr key={`${d.shard ?? 0}:${String(d.id)}`}>
                  <td>{d.shard ? `${d.shard}:${String(d.id)}` : String(d.id)}</td>
                  <td>{d.error ?? ""}</td>
                  <td>
                    {canOperate(role) && (
                      <button type="button" onClick={() => retry(d)}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Grid>
          ) : (
            <p class="muted">
              {dead.at === null && !dead.error
                ? "Loading..."
                : `This server keeps no dead letters${m.dead_letters !== undefined ? ` (count: ${m.dead_letters})` : ""}.`}
            </p>
          )}
        </article>
      </div>
    </section>
  );
}
