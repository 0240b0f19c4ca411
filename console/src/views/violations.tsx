/**
 * Violations (console.md, view 3): the feed, newest first (100 a page, refreshed every 5 s on
 * the first page), the evidence of a selected violation, and CSV export.
 */
import { useState } from "preact/hooks";
import { get, getOptional, query } from "../api.ts";
import { fetchViolationsCsv, saveBlob } from "../download.ts";
import { fmtMoney, fmtPct, fmtTime } from "../format.ts";
import { usePoll } from "../poll.ts";
import type { Page, Violation } from "../types.ts";

export function Violations() {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [accountId, setAccountId] = useState("");
  const [open, setOpen] = useState<number | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  const account = /^[1-9][0-9]*$/.test(accountId) ? accountId : undefined;
  const feed = usePoll(
    () =>
      get<Page<Violation>>(`/v1/violations${query({ limit: 100, cursor, account_id: account })}`),
    cursor === null ? 5000 : null,
    [cursor, account],
  );
  const evidence = usePoll(
    () =>
      open === null ? Promise.resolve(null) : getOptional<Violation>(`/v1/violations/${open}`),
    null,
    [open],
  );

  const exportCsv = async () => {
    setExporting("exporting...");
    try {
      const blob = await fetchViolationsCsv({ account_id: account });
      saveBlob(blob, `violations-${new Date().toISOString().slice(0, 10)}.csv`);
      setExporting(null);
    } catch (err) {
      setExporting(`export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const rows = feed.data?.items ?? [];
  const selected = rows.find((v) => v.id === open);

  return (
    <section aria-labelledby="violations-title">
      <div class="toolbar">
        <h1 id="violations-title">Violations</h1>
        <input
          type="search"
          inputMode="numeric"
          placeholder="Account id"
          aria-label="Account id"
          value={accountId}
          onInput={(e) => {
            setAccountId((e.target as HTMLInputElement).value.trim());
            setCursors([null]);
          }}
        />
        <button type="button" onClick={exportCsv}>
          Export CSV
        </button>
        {exporting && <span class="muted">{exporting}</span>}
      </div>
      <div class="columns wide-left">
        <table class="grid" aria-label="Violations, newest first">
          <thead>
            <tr>
              <th>Detected</th>
              <th>Account</th>
              <th>Rule</th>
              <th>Period</th>
              <th class="num">Equity</th>
              <th class="num">Floor</th>
              <th class="num">Usage</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((v) => (
              <tr key={v.id} class={v.id === open ? "selected" : ""} data-violation-id={v.id}>
                <td>
                  <button
                    type="button"
                    class="link"
                    aria-expanded={v.id === open}
                    onClick={() => setOpen(v.id === open ? null : v.id)}
                  >
                    {fmtTime(v.detected_at)}
                  </button>
                </td>
                <td>
                  <a href={`#/account/${v.account_id}`}>#{v.account_id}</a>
                </td>
                <td>{v.rule}</td>
                <td>{v.period}</td>
                <td class="num">{fmtMoney(v.equity)}</td>
                <td class="num">{fmtMoney(v.floor)}</td>
                <td class="num">{fmtPct(v.usage)}</td>
                <td>{v.source}</td>
              </tr>
            ))}
            {feed.data && rows.length === 0 && (
              <tr>
                <td colSpan={8} class="muted">
                  No violations.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        <aside class="panel" aria-label="Evidence">
          <h2>Evidence</h2>
          {open === null && <p class="muted">Select a violation.</p>}
          {open !== null && evidence.data === null && evidence.at !== null && selected && (
            <>
              <p class="muted">This server keeps no breach evidence yet; the recorded figures:</p>
              <pre class="json">{JSON.stringify(selected, null, 2)}</pre>
            </>
          )}
          {evidence.data && <pre class="json">{JSON.stringify(evidence.data, null, 2)}</pre>}
        </aside>
      </div>
      <div class="pager">
        <button
          type="button"
          disabled={cursors.length < 2}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous
        </button>
        <span class="muted">page {cursors.length}</span>
        <button
          type="button"
          disabled={!feed.data?.next_cursor}
          onClick={() =>
            feed.data?.next_cursor && setCursors((c) => [...c, feed.data!.next_cursor!])
          }
        >
          Next
        </button>
      </div>
    </section>
  );
}
