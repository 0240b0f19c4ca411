/** The account's violations (each with its breach report) and its audit trail. */
import { Grid } from "../../components/grid.tsx";
import { VIOLATION_COLUMNS, ViolationCells } from "../../components/violation-cells.tsx";
import { fmtTime } from "../../format.ts";
import type { AuditEntry, Violation } from "../../types.ts";

export function ViolationsSection({ violations }: { violations: Violation[] | null }) {
  return (
    <>
      <h2>Violations</h2>
      <Grid
        compact
        columns={["Detected", ...VIOLATION_COLUMNS, ""]}
        empty={violations?.length === 0}
      >
        {(violations ?? []).map((v) => (
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
    </>
  );
}

/**
 * The audit trail of the account; `audit` null when the server has none (an older server),
 * undefined while loading.
 */
export function AuditSection({ audit }: { audit: AuditEntry[] | null | undefined }) {
  return (
    <>
      <h2>Audit</h2>
      {audit ? (
        <Grid compact columns={["At", "Actor", "Action", "Reason"]} empty={audit.length === 0}>
          {audit.map((e) => (
            <tr key={e.id}>
              <td>{fmtTime(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>{e.reason ?? ""}</td>
            </tr>
          ))}
        </Grid>
      ) : (
        <p class="muted">{audit === null ? "This server has no audit trail yet." : "Loading..."}</p>
      )}
    </>
  );
}
