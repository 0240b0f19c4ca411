/**
 * The breach report as a printable page (`?format=html`, docs/trader-page.md): one
 * self-contained HTML document (inline CSS, an inline SVG of the equity before the breach, no
 * script), light and dark on screen, black on white when printed. Every value is escaped.
 */
import { money, type BreachReport } from "../domain/breach-report.ts";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

const RULE_TITLE: Record<string, string> = {
  daily_loss: "Daily loss limit",
  max_loss: "Maximum loss limit",
};

/** An SVG line of the equity points with the floor as a dashed line. */
function equitySvg(report: BreachReport): string {
  const pts = report.equity.filter((p) => Number.isFinite(p.equity));
  if (pts.length === 0) return "";
  const w = 640;
  const h = 200;
  const pad = 8;
  const floor = report.floor.value;
  const times = pts.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times, Date.parse(report.violation.detected_at) - 30 * 60_000);
  const t1 = Math.max(...times);
  const values = [...pts.map((p) => p.equity), floor];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) {
    hi += 1;
    lo -= 1;
  }
  const x = (t: number) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (w - 2 * pad);
  const y = (v: number) => pad + (1 - (v - lo) / (hi - lo)) * (h - 2 * pad);
  const line = pts.map((p, i) => `${x(times[i]!).toFixed(1)},${y(p.equity).toFixed(1)}`).join(" ");
  const last = pts[pts.length - 1]!;
  return `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="Equity in the 30 minutes before the breach, with the floor">
  <line x1="${pad}" x2="${w - pad}" y1="${y(floor).toFixed(1)}" y2="${y(floor).toFixed(1)}" class="floor"/>
  <polyline points="${line}" class="equity"/>
  <circle cx="${x(Date.parse(last.at)).toFixed(1)}" cy="${y(last.equity).toFixed(1)}" r="4" class="breach"/>
</svg>`;
}

/** The whole page. `title` names the account (its label or login). */
export function renderReportHtml(report: BreachReport, title: string): string {
  const d = report.floor.currency_digits;
  const $ = (v: number | null) => (v === null ? "-" : money(v, d));
  const v = report.violation;
  const rows = report.equity
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.at)}</td><td class="num">${$(p.equity)}</td><td class="num">${$(p.balance)}</td><td>${escapeHtml(p.source)}</td></tr>`,
    )
    .join("\n");
  const steps = report.floor.steps
    .map((s) => `<li data-step="${escapeHtml(s.step)}">${escapeHtml(s.text)}</li>`)
    .join("\n");
  const check = report.check.agrees
    ? `<p class="ok" id="check">The risk engine replayed this breach from the evidence and agrees: floor ${$(report.check.engine_floor)}.</p>`
    : `<div class="warn" id="check"><p>The numbers do not all agree:</p><ul>${report.check.notes
        .map((n) => `<li>${escapeHtml(n)}</li>`)
        .join("")}</ul></div>`;
  const day = report.trading_day
    ? `<dt>Trading day</dt><dd>${escapeHtml(report.trading_day.day)} (from ${escapeHtml(report.trading_day.starts_at)} to ${escapeHtml(report.trading_day.ends_at)}, ${escapeHtml(report.trading_day.timezone)})</dd>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<title>Breach report #${v.id}: ${escapeHtml(title)}</title>
<style>
:root { --fg: #111; --bg: #fff; --muted: #555; --line: #ddd; --bad: #b00020; --good: #0a7a33; --accent: #1f5fbf; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e8; --bg: #15171a; --muted: #a0a4aa; --line: #33373d; --bad: #ff6b81; --good: #4cd080; --accent: #7fb0ff; } }
@media print { :root { --fg: #000; --bg: #fff; --muted: #444; --line: #bbb; --bad: #000; --good: #000; --accent: #000; } .noprint { display: none; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 760px; padding: 16px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 20px 0 6px; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); } .num { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; } dt { color: var(--muted); }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid var(--line); padding: 2px 6px; text-align: left; }
ol li { margin: 2px 0; font-variant-numeric: tabular-nums; }
.ok { color: var(--good); } .warn { color: var(--bad); } .big { font-size: 18px; font-weight: 600; }
svg { width: 100%; height: auto; border: 1px solid var(--line); }
svg .equity { fill: none; stroke: var(--accent); stroke-width: 2; } svg .floor { stroke: var(--bad); stroke-dasharray: 6 4; stroke-width: 1.5; } svg .breach { fill: var(--bad); }
pre { white-space: pre-wrap; font-size: 12px; }
</style>
</head>
<body>
<h1>Breach report: ${escapeHtml(RULE_TITLE[v.rule] ?? v.rule)}</h1>
<p class="muted">${escapeHtml(title)} · violation #${v.id} · period ${escapeHtml(v.period)} · rules version ${report.floor.rules_version ?? "-"}</p>
<p class="big">Equity ${$(v.equity)} ${report.floor.breach_at === "at_or_below" ? "reached" : "fell below"} the floor ${$(report.floor.value)} at ${escapeHtml(v.detected_at)}.</p>
<h2>The rule</h2>
<p id="rule-text">${escapeHtml(report.rule_text)}</p>
<h2>The reading that crossed the floor</h2>
<dl>
<dt>Time</dt><dd>${escapeHtml(report.reading.at)}</dd>
<dt>Equity</dt><dd id="report-equity">${$(report.reading.equity)}</dd>
<dt>Balance</dt><dd>${$(report.reading.balance)}</dd>
<dt>Source</dt><dd>${escapeHtml(report.reading.source_text)}</dd>
${day}
</dl>
<h2>How the floor was computed</h2>
<ol id="floor-steps">
${steps}
</ol>
<p>Floor applied: <strong id="report-floor">${$(report.floor.value)}</strong></p>
${check}
<h2>Equity from 30 minutes before the breach</h2>
${equitySvg(report)}
<table><thead><tr><th>Time (UTC)</th><th class="num">Equity</th><th class="num">Balance</th><th>Source</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Rules parameters (version ${report.floor.rules_version ?? "-"})</h2>
<pre>${escapeHtml(JSON.stringify(report.floor.parameters, null, 2))}</pre>
</body>
</html>`;
}
