/**
 * The cells every violations table shows: rule, severity (hard fails the account, soft is
 * recorded), the trade behind a trade-rule violation, period, equity, floor, usage, source.
 */
import { fmtMoney, fmtPct } from "../format.ts";
import type { Violation } from "../types.ts";
import { num, type Column } from "./grid.tsx";

/** The headings of {@link ViolationCells}. */
export const VIOLATION_COLUMNS: readonly Column[] = [
  "Rule",
  "Severity",
  "Ticket",
  "Period",
  num("Equity"),
  num("Floor"),
  num("Usage"),
  "Source",
];

export function ViolationCells({ v }: { v: Violation }) {
  return (
    <>
      <td>{v.rule}</td>
      <td>
        <span class={`severity ${v.severity}`} data-severity={v.severity}>
          {v.severity}
        </span>
      </td>
      <td class="mono" data-ticket={v.ticket ?? ""}>
        {v.ticket ?? ""}
      </td>
      <td>{v.period}</td>
      <td class="num">{fmtMoney(v.equity)}</td>
      <td class="num">{fmtMoney(v.floor)}</td>
      <td class="num">{fmtPct(v.usage)}</td>
      <td>{v.source}</td>
    </>
  );
}
