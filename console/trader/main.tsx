/**
 * The trader page (`/t/<token>`, docs/trader-page.md): what one trader may see of one account,
 * readable on a phone, light and dark. It polls `/v1/shared/<token>` every second (a breach
 * shows within 2 s), the equity chart and the trades every 15 s and at once when the account
 * changes status, and shows each violation's breach report on demand. No credentials are ever
 * sent.
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { EquityChart } from "../src/components/equity-chart.tsx";
import type { EquityPoint, Violation } from "../src/types.ts";
import { SharedError, getShared, tokenOfLocation } from "./api.ts";
import {
  RULE_TITLE,
  fmtCountdown,
  fmtMoney,
  fmtPct,
  fmtZoned,
  localZone,
  ruleTitle,
} from "./format.ts";
import { Report } from "./report.tsx";
import type {
  FloorView,
  SharedAccount,
  SharedPoint,
  SharedTrade,
  SharedViolation,
} from "./types.ts";

/** How often the account's figures are read (ms). */
const POLL_MS = 1_000;
/** How often the chart is read (ms). */
const CHART_MS = 15_000;

type Load = { state: "loading" } | { state: "missing" } | { state: "ok"; data: SharedAccount };

function usageClass(u: number): string {
  return u >= 100 ? "bad" : u >= 90 ? "hot" : u >= 70 ? "warm" : "ok";
}

function FloorCard({ f, digits }: { f: FloorView; digits: number }) {
  return (
    <section class={`card floor ${usageClass(f.usage)}`} data-rule={f.rule}>
      <h2>{RULE_TITLE[f.rule]}</h2>
      <div class="row">
        <span class="muted">Floor</span>
        <strong class="num" data-field="floor">
          {fmtMoney(f.floor, digits)}
        </strong>
      </div>
      <div class="row">
        <span class="muted">{f.distance >= 0 ? "Room above the floor" : "Below the floor by"}</span>
        <strong class="num" data-field="distance">
          {fmtMoney(Math.abs(f.distance), digits)}
        </strong>
      </div>
      <div class="bar" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={f.usage}>
        <span style={{ width: `${Math.min(100, Math.max(0, f.usage))}%` }} />
      </div>
      <div class="row small">
        <span class="muted">Used</span>
        <span class="num" data-field="usage">
          {fmtPct(f.usage)}
        </span>
      </div>
      <p class="rule-text small muted">{f.text}</p>
    </section>
  );
}

function Countdown({
  data,
  nowMs,
  offsetMs,
}: {
  data: SharedAccount;
  nowMs: number;
  offsetMs: number;
}) {
  const r = data.next_reset;
  const left = (Date.parse(r.at) - (nowMs + offsetMs)) / 1000;
  return (
    <section class="card" id="reset">
      <h2>Next daily reset</h2>
      <p class="big num" data-field="countdown">
        {fmtCountdown(left)}
      </p>
      <div class="row small">
        <span class="muted">Your time ({localZone()})</span>
        <span>{fmtZoned(r.at)}</span>
      </div>
      <div class="row small">
        <span class="muted">Firm time ({r.firm_timezone})</span>
        <span>{fmtZoned(r.at, r.firm_timezone)}</span>
      </div>
    </section>
  );
}

function Objectives({ data }: { data: SharedAccount }) {
  const o = data.objectives;
  if (!o) return null;
  const d = data.account.currency_digits;
  return (
    <section class="card" id="objectives">
      <h2>Objectives {o.met ? <span class="badge ok">met</span> : null}</h2>
      {o.profit_target ? (
        <div class="row">
          <span class="muted">Profit target</span>
          <span class="num">
            {fmtMoney(o.profit_target.profit, d)} / {fmtMoney(o.profit_target.target, d)}
          </span>
        </div>
      ) : null}
      {o.trading_days ? (
        <div class="row">
          <span class="muted">Trading days</span>
          <span class="num">
            {o.trading_days.counted} / {o.trading_days.required}
          </span>
        </div>
      ) : null}
      {o.consistency ? (
        <div class="row">
          <span class="muted">Best day's share (at most {o.consistency.max_share}%)</span>
          <span class="num">{fmtPct(o.consistency.best_day_share)}</span>
        </div>
      ) : null}
    </section>
  );
}

function Violations({
  token,
  items,
  digits,
}: {
  token: string;
  items: SharedViolation[];
  digits: number;
}) {
  const [open, setOpen] = useState<number | null>(null);
  if (items.length === 0) return null;
  return (
    <section class="card" id="violations">
      <h2>Violations</h2>
      <ul class="violations">
        {items.map((v) => (
          <li key={v.id} data-violation-id={v.id}>
            <div class="row">
              <strong>{ruleTitle(v.rule)}</strong>
              <span class="muted small">{fmtZoned(v.detected_at)}</span>
            </div>
            <div class="row small">
              <span>
                Equity <span class="num">{fmtMoney(v.equity, digits)}</span> · floor{" "}
                <span class="num">{fmtMoney(v.floor, digits)}</span>
              </span>
              <button
                type="button"
                aria-expanded={open === v.id}
                onClick={() => setOpen(open === v.id ? null : v.id)}
              >
                {open === v.id ? "Hide report" : "Breach report"}
              </button>
            </div>
            {open === v.id ? <Report token={token} id={v.id} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The newest trades, open first, each with the violations it caused. */
function Trades({
  items,
  violations,
  digits,
}: {
  items: SharedTrade[];
  violations: SharedViolation[];
  digits: number;
}) {
  const trades = items.filter((t) => t.kind !== "balance");
  if (trades.length === 0) return null;
  const byId = new Map(violations.map((v) => [v.id, v]));
  const open = trades.filter((t) => t.state === "open");
  const rest = trades.filter((t) => t.state !== "open");
  return (
    <section class="card" id="trades">
      <h2>Trades</h2>
      <ul class="violations">
        {[...open, ...rest].map((t) => {
          const net = t.profit + t.swap + t.commission;
          return (
            <li key={`${t.ticket}@${t.open_time}`} data-ticket={t.ticket} data-state={t.state}>
              <div class="row">
                <strong>
                  {t.symbol} {t.side} {t.lots}
                </strong>
                <span class={`num ${net < 0 ? "bad" : ""}`}>{fmtMoney(net, digits)}</span>
              </div>
              <div class="row small muted">
                <span>
                  #{t.ticket} · {t.state === "open" ? "open since" : "opened"}{" "}
                  {fmtZoned(t.open_time)}
                  {t.close_time ? ` · closed ${fmtZoned(t.close_time)}` : ""}
                </span>
                <span>{t.stop_loss === 0 ? "no stop loss" : `SL ${t.stop_loss}`}</span>
              </div>
              {t.violations.length > 0 ? (
                <div class="row small">
                  {t.violations.map((id) => (
                    <span key={id} class="badge bad">
                      {byId.has(id) ? ruleTitle(byId.get(id)!.rule) : `violation ${id}`}
                    </span>
                  ))}
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function chartPoints(points: SharedPoint[]): EquityPoint[] {
  return points.map((p) => ({ ...p, usage: 0 }));
}

function chartViolations(items: SharedViolation[]): Violation[] {
  return items.map((v) => ({
    ...v,
    // The chart reads none of these: placeholders for the console's Violation shape.
    account_id: 0,
    reset_epoch: 0,
    rules_version: null,
    severity: "hard",
    ticket: null,
    source: v.source === "event" ? "event" : "poll",
  }));
}

function App({ token }: { token: string }) {
  const missingAtLoad = document.getElementById("trader")?.dataset.missing === "1";
  const [load, setLoad] = useState<Load>(
    missingAtLoad ? { state: "missing" } : { state: "loading" },
  );
  const [points, setPoints] = useState<SharedPoint[]>([]);
  const [trades, setTrades] = useState<SharedTrade[]>([]);
  const [now, setNow] = useState(Date.now());
  const offset = useRef(0);
  const status = useRef<string | null>(null);

  // The figures, every second, one request at a time; a gone link stops everything.
  useEffect(() => {
    if (missingAtLoad) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let chartTimer: ReturnType<typeof setTimeout> | undefined;
    const chart = async () => {
      clearTimeout(chartTimer);
      try {
        const [res, list] = await Promise.all([
          getShared<{ items: SharedPoint[] }>(token, "/equity"),
          getShared<{ items: SharedTrade[] }>(token, "/trades"),
        ]);
        if (!stopped) {
          setPoints(res.items);
          setTrades(list.items);
        }
      } catch {
        // The figures' poll reports a gone link; a chart that failed is tried again later.
      }
      if (!stopped) chartTimer = setTimeout(chart, CHART_MS);
    };
    const tick = async () => {
      let wait = POLL_MS;
      try {
        const data = await getShared<SharedAccount>(token);
        if (stopped) return;
        offset.current = Date.parse(data.server_time) - Date.now();
        setLoad({ state: "ok", data });
        const sig = `${data.account.status}:${data.violations.length}`;
        if (status.current !== null && status.current !== sig) void chart();
        status.current = sig;
      } catch (err) {
        if (err instanceof SharedError && err.status === 404) {
          setLoad({ state: "missing" });
          stopped = true;
          return;
        }
        wait = err instanceof SharedError && err.status === 429 ? 10_000 : 3_000;
      }
      if (!stopped) timer = setTimeout(tick, wait);
    };
    void tick();
    void chart();
    const clock = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(chartTimer);
      clearInterval(clock);
    };
  }, [token]);

  if (load.state === "missing")
    return (
      <main class="missing" id="missing">
        <h1>This link does not work</h1>
        <p>It does not exist, has expired or was revoked. Ask your firm for a new one.</p>
      </main>
    );
  if (load.state === "loading")
    return (
      <main>
        <p class="muted">Loading…</p>
      </main>
    );
  const data = load.data;
  const a = data.account;
  const m = data.metrics;
  const d = a.currency_digits;
  const breached = a.status === "breached";
  const last = data.violations[0];
  return (
    <main>
      <header>
        <h1 id="account-title">{a.label ?? a.login}</h1>
        <p class="muted small">
          {a.login} · {a.server} ·{" "}
          <span class={`badge ${breached ? "bad" : "ok"}`} id="account-status">
            {a.status}
          </span>
        </p>
      </header>
      {breached && last ? (
        <div class="banner bad" role="alert" id="breach-banner">
          <strong>{ruleTitle(last.rule)} breached</strong> at {fmtZoned(last.detected_at)}: equity{" "}
          {fmtMoney(last.equity, d)} against the floor {fmtMoney(last.floor, d)}.
        </div>
      ) : null}
      {m ? (
        <section class="card figures">
          <div>
            <span class="muted small">Equity</span>
            <p class="big num" id="equity">
              {fmtMoney(m.equity, d)}
            </p>
          </div>
          <div>
            <span class="muted small">Balance</span>
            <p class="big num" id="balance">
              {fmtMoney(m.balance, d)}
            </p>
          </div>
          <p class="muted small updated">
            Updated {fmtZoned(m.updated_at)} · trading day {m.trading_day}
          </p>
        </section>
      ) : (
        <section class="card">
          <p class="muted">No reading yet.</p>
        </section>
      )}
      <div class="grid">
        {m ? data.floors.map((f) => <FloorCard key={f.rule} f={f} digits={d} />) : null}
        <Countdown data={data} nowMs={now} offsetMs={offset.current} />
        <Objectives data={data} />
      </div>
      <section class="card">
        <h2>Equity and floors, last 24 hours</h2>
        {points.length > 0 ? (
          <EquityChart points={chartPoints(points)} violations={chartViolations(data.violations)} />
        ) : (
          <p class="muted small">No readings in the last 24 hours.</p>
        )}
      </section>
      <Trades items={trades} violations={data.violations} digits={d} />
      <Violations token={token} items={data.violations} digits={d} />
      <footer class="muted small">
        This page shows one account, read-only. The link works until{" "}
        {fmtZoned(data.link.expires_at)}.
      </footer>
    </main>
  );
}

render(<App token={tokenOfLocation(location.pathname)} />, document.getElementById("trader")!);
