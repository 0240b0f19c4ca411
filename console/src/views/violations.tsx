/**
 * Violations (docs/console.md, "Violations"): the feed, newest first (100 a page, refreshed every 5 s on
 * the first page), the evidence of a selected violation, and CSV export.
 */
import { useState } from "preact/hooks";
import { get, getOptional, query } from "../api.ts";
import { fetchViolationsCsv, saveBlob } from "../download.ts";
import { fmtTime } from "../format.ts";
import { VIOLATION_COLUMNS, ViolationCells } from "../components/violation-cells.tsx";
import { Grid, Pager, useCursorPages } from "../components/grid.tsx";
import { usePoll } from "../poll.ts";
import type { Page, Severity, Violation } from "../types.ts";

export function Violations() {
  const pages = useCursorPages();
  const [accountId, setAccountId] = useState("");
  const [severity, setSeverity] = useState<Severity | "">("");
  const [open, setOpen] = useState<number | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const cursor = pages.cursor;
  const account = /^[1-9][0-9]*$/.test(accountId) ? accountId : undefined;
  const feed = usePoll(
    () =>
      get<Page<Violation>>(
        `/v1/violations${query({ limit: 100, cursor, account_id: account, severity })}`,
      ),
    cursor === null ? 5000 : null,
    [cursor, account, severity],
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
      const blob = await fetchViolationsCsv({ account_id: account, severity });
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
            pages.reset();
          }}
        />
        <select
          aria-label="Severity"
          value={severity}
          onChange={(e) => {
            setSeverity((e.target as HTMLSelectElement).value as Severity | "");
            pages.reset();
          }}
        >
          <option value="">any severity</option>
          <option value="hard">hard</option>
          <option value="soft">soft</option>
        </select>
        <button type="button" onClick={exportCsv}>
          Export CSV
        </button>
        {exporting && <span class="muted">{exporting}</span>}
      </div>
      <div class="columns wide-left">
        <Grid
          label="Violations, newest first"
          emptyText="No violations."
          columns={["Detected", "Account", ...VIOLATION_COLUMNS]}
          empty={feed.data !== null && rows.length === 0}
        >
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
              <ViolationCells v={v} />
            </tr>
          ))}
        </Grid>
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
      <Pager pages={pages} nextCursor={feed.data?.next_cursor} />
    </section>
  );
}
