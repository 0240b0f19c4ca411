/**
 * One violation's breach report on the trader page (docs/trader-page.md, "The breach report"):
 * the rule in words, the reading that crossed the floor, the floor step by step, whether the
 * engine's replay agrees, and a link to the printable page.
 */
import { useEffect, useState } from "preact/hooks";
import { getShared } from "./api.ts";
import { fmtMoney, fmtZoned } from "./format.ts";
import type { BreachReport } from "./types.ts";

export function Report({ token, id }: { token: string; id: number }) {
  const [report, setReport] = useState<BreachReport | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    getShared<BreachReport>(token, `/violations/${id}/report`)
      .then((r) => live && setReport(r))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [token, id]);
  if (failed) return <p class="muted small">The report could not be loaded.</p>;
  if (!report) return <p class="muted small">Loading the report…</p>;
  const d = report.floor.currency_digits;
  const printable = `/v1/shared/${encodeURIComponent(token)}/violations/${id}/report?format=html`;
  return (
    <div class="report" data-report-id={id}>
      <p>{report.rule_text}</p>
      <h3>The reading that crossed the floor</h3>
      <div class="row small">
        <span class="muted">Time</span>
        <span>{fmtZoned(report.reading.at)}</span>
      </div>
      <div class="row small">
        <span class="muted">Equity</span>
        <span class="num" data-field="report-equity">
          {fmtMoney(report.reading.equity, d)}
        </span>
      </div>
      <p class="small muted">{report.reading.source_text}</p>
      <h3>How the floor was computed</h3>
      <ol class="steps small">
        {report.floor.steps.map((s) => (
          <li key={s.step} data-step={s.step}>
            {s.text}
          </li>
        ))}
      </ol>
      <p>
        Floor applied:{" "}
        <strong class="num" data-field="report-floor">
          {fmtMoney(report.floor.value, d)}
        </strong>{" "}
        (rules version {report.floor.rules_version ?? "-"})
      </p>
      {report.check.agrees ? (
        <p class="small ok" data-field="report-check">
          The risk engine replayed this breach from the evidence and agrees.
        </p>
      ) : (
        <ul class="small bad" data-field="report-check">
          {report.check.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <p class="small">
        <a href={printable} target="_blank" rel="noopener noreferrer">
          Printable report
        </a>
      </p>
    </div>
  );
}
