/**
 * Usage per rule as two thin bars (daily over max), each with the live-enter line: a glance
 * tells how close an account is to going live and to its floors. 100% fills the bar.
 */
import { fmtPct } from "../format.ts";

function Bar({ label, pct, liveAt }: { label: string; pct: number; liveAt: number }) {
  const width = Math.max(0, Math.min(100, pct));
  const level = pct >= 100 ? "over" : pct >= liveAt ? "hot" : pct >= liveAt * 0.75 ? "warm" : "ok";
  return (
    <div class="bar" title={`${label} ${fmtPct(pct)} (live at ${liveAt}%)`}>
      <span class="bar-label">{label}</span>
      <span class="bar-track">
        <span class={`bar-fill ${level}`} style={{ width: `${width}%` }} />
        <span class="bar-live" style={{ left: `${Math.min(100, liveAt)}%` }} />
      </span>
      <span class="bar-value">{fmtPct(pct)}</span>
    </div>
  );
}

export function UsageBars({ daily, max, liveAt }: { daily: number; max: number; liveAt: number }) {
  return (
    <div class="bars">
      <Bar label="D" pct={daily} liveAt={liveAt} />
      <Bar label="M" pct={max} liveAt={liveAt} />
    </div>
  );
}
